"""A planned activity is rated afterwards: the daily reminder carries the way to do it.

Behavioural activation schedules a small activity and rates it afterwards (mood before
and after), so the patient sees what lifting their mood took. The activation skill records
the plan (``activity_plan``: the activity, ``day`` and ``at``); here, once the planned
moment has passed, the patient's daily reminder gets one more button that opens the skill,
whose first question names the plan and offers to rate it. The button stays on each
reminder until the plan is rated or a new one made, for at most ``OFFER_DAYS`` after the
plan was made (an old plan is not brought up again). The lock screen shows only the
reminder's neutral words; the button's are not on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from bot.db import store
from bot.db.journal import JournalItem
from bot.reminders.store import Claim
from bot.shared import tokens
from bot.shared.zones import zone_or_default

__all__ = ["ACTIVATION_FLOW", "OFFER_DAYS", "RATE_TOKEN", "planned_moment", "ratings_due"]

ACTIVATION_FLOW = "activation"
PLAN_KIND = "activity_plan"
RATING_KIND = "activity_rating"
RATE_TOKEN = tokens.encode(tokens.OpenFlow(ACTIVATION_FLOW))
#: How long after a plan is made its rating is offered on the reminders.
OFFER_DAYS = 8
#: How many days after the plan was made each ``day`` answer means (``this_week``: from
#: the next day on; the patient can say it has not happened yet).
_DAYS_LATER = {"today": 0, "tomorrow": 1, "this_week": 1}


def planned_moment(plan: JournalItem, zone: ZoneInfo) -> datetime | None:
    """When the planned activity was due (aware), or None if the plan does not say."""
    later = _DAYS_LATER.get(str(plan.data.get("day")))
    at = str(plan.data.get("at") or "")
    hours, _, minutes = at.partition(":")
    if later is None or not (hours.isdigit() and minutes.isdigit()):
        return None
    day = plan.created_at.astimezone(zone).date() + timedelta(days=later)
    return datetime.combine(day, time(int(hours) % 24, int(minutes) % 60), zone)


def ratings_due(
    connection: Connection,
    *,
    channel: str,
    claims: Iterable[Claim],
    now: datetime,
    default_timezone: str,
) -> set[int]:
    """The claimed patients whose reminder should carry the rating button.

    One grouped query for the batch; a plan is read (and decrypted) only for a patient
    whose latest plan is recent and not yet followed by a rating.
    """
    by_patient = {claim.patient_id: claim.external_id for claim in claims}
    latest = store.latest_at_by_kind(
        connection,
        patient_ids=list(by_patient),
        kinds=(PLAN_KIND, RATING_KIND),
        since=now - timedelta(days=OFFER_DAYS),
    )
    due: set[int] = set()
    for patient_id, external_id in by_patient.items():
        planned_at = latest.get((patient_id, PLAN_KIND))
        rated_at = latest.get((patient_id, RATING_KIND))
        if planned_at is None or (rated_at is not None and rated_at >= planned_at):
            continue
        plan = store.latest_journal(connection, patient_id=patient_id, kind=PLAN_KIND)
        patient = store.find_patient(connection, channel=channel, external_id=external_id)
        if plan is None or patient is None:
            continue
        moment = planned_moment(plan, zone_or_default(patient.timezone, default_timezone))
        if moment is not None and moment <= now:
            due.add(patient_id)
    return due
