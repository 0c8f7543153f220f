"""The practice's own phone numbers, as every text may show them.

The numbers are settings (``PRACTICE_PHONE``, ``PRACTICE_PHONE_AFTER_HOURS``); how they
read is the clinicians' words in content/ (``safety_plan.practice_contact.*``), one text
for each case, so no sentence is put together from pieces in code. ``{practice.contact}``
is that line ("Your practice" when neither number is set); ``{practice.phone}`` and
``{practice.phone_after_hours}`` are the numbers alone (empty when not set).
"""

from __future__ import annotations

from bot.shared.content import Content

#: The names a text may show, whatever flow it belongs to.
PRACTICE_VARIABLES = ("practice.contact", "practice.phone", "practice.phone_after_hours")
#: The texts ``{practice.contact}`` is made from: no number, the day one, the after-hours
#: one, both. ``{phone}`` and ``{after_hours}`` are the numbers in them.
CONTACT_KEYS = {
    "none": "safety_plan.practice_contact.none",
    "day": "safety_plan.practice_contact.day",
    "after_hours": "safety_plan.practice_contact.after_hours",
    "both": "safety_plan.practice_contact.both",
}


def practice_variables(
    content: Content, phone: str | None, after_hours: str | None
) -> dict[str, str]:
    """``practice.*`` for rendering. Plain text: render escapes it once, as any answer."""
    case = (
        ("both" if after_hours else "day") if phone else ("after_hours" if after_hours else "none")
    )
    key = CONTACT_KEYS[case]
    template = content.get(key) if key in content else ""
    contact = template.replace("{phone}", phone or "").replace("{after_hours}", after_hours or "")
    return {
        "practice.contact": contact,
        "practice.phone": phone or "",
        "practice.phone_after_hours": after_hours or "",
    }
