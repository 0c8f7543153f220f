"""Questionnaire administrations on real databases: one row each, the rise that offers
booking, and /export and /delete covering them."""

from __future__ import annotations

import json

from fhir.resources.R4B.bundle import Bundle

from bot.coach.service import CoachService
from bot.db.models import MeasureAdministration
from tests.coach.helpers import administrations
from tests.coach.patient_chat import PatientChat, said
from tests.db.test_storage import count


async def _phq9(chat: PatientChat, labels: list[str]) -> str:
    await chat.send("/phq9")
    reply = None
    for label in labels:
        reply = await chat.press(label)
    assert reply is not None
    return said(reply)


async def test_one_row_per_administration_with_every_answer(service: CoachService) -> None:
    chat = PatientChat(service, "m1")
    await chat.onboard()
    text = await _phq9(chat, ["Several days"] * 4 + ["Skip this one"] + ["Not at all"] * 4)
    assert "Your PHQ-9 score is 5, in the mild range" in text  # 4 x 9 / 8 = 4.5 -> 5
    (row,) = await administrations(service, "m1")
    assert (row.measure, row.version, row.total, row.band) == ("phq9", "PHQ-9 (1999)", 5.0, "mild")
    assert row.missing == ("phq9_5",) and row.answers["phq9_5"] is None
    assert row.answers["phq9_1"] == "several_days" and row.item_scores["phq9_1"] == 1
    assert row.delivered == "asked" and not row.skipped and row.flags == ()
    assert await count(service, MeasureAdministration) == 1


async def test_a_rise_into_a_higher_band_offers_booking(service: CoachService) -> None:
    chat = PatientChat(service, "m2")
    await chat.onboard()
    first = await _phq9(chat, ["Not at all"] * 9)
    assert "gone up" not in first
    second = await _phq9(chat, ["More than half the days"] * 5 + ["Not at all"] * 4)
    assert "Your PHQ-9 score is 10, in the moderate range" in second
    assert "has gone up since last time (0 → 10)" in second
    assert any(b.url for m in chat.last.messages for row in m.buttons for b in row)  # type: ignore[union-attr]
    lower = await _phq9(chat, ["Several days"] * 2 + ["Not at all"] * 7)
    assert "gone up" not in lower


async def test_export_has_the_scores_and_delete_removes_them(service: CoachService) -> None:
    chat = PatientChat(service, "m3")
    await chat.onboard()
    await chat.send("/craving")
    await chat.press("6")
    reply = await chat.send("/export")
    files = {m.attachment.filename: m.attachment.data for m in reply.messages if m.attachment}
    (everything,) = [json.loads(d) for n, d in files.items() if n.startswith("coach-export")]
    (row,) = everything["measures"]
    assert (row["measure"], row["total"], row["answers"]) == ("craving", 6.0, {"craving_24h": 6})
    (table,) = [d.decode() for n, d in files.items() if n.endswith(".csv")]
    assert table.splitlines()[0] == "when_utc,source,name,value,band,flags"
    assert ",questionnaire,craving,6.0,," in table
    (fhir,) = [json.loads(d) for n, d in files.items() if n.startswith("questionnaires-fhir")]
    Bundle.model_validate(fhir)
    kinds = [e["resource"]["resourceType"] for e in fhir["entry"]]
    assert kinds == ["Patient", "QuestionnaireResponse", "Observation"]
    assert fhir["entry"][0]["resource"]["name"] == [{"text": "Sam"}]
    assert "m3" not in json.dumps(fhir) and "test" not in json.dumps(fhir["entry"][0])
    await chat.send("/delete")
    await chat.press(next(iter(chat.buttons)))
    assert await count(service, MeasureAdministration) == 0


async def test_the_fhir_response_names_items_and_answers_by_their_loinc_codes(
    service: CoachService,
) -> None:
    """An EHR matches a PHQ-9 QuestionnaireResponse to LOINC form 44249-1 by its items'
    LOINC codes and the LOINC answer list (LA6568-5 ... LA6571-9); a skipped item has no
    answer; an instrument without answer codes (PEG's 0-10) keeps integers."""
    chat = PatientChat(service, "m9")
    await chat.onboard()
    await _phq9(chat, ["Several days", "Skip this one"] + ["Nearly every day"] + ["Not at all"] * 6)
    reply = await chat.send("/export")
    (fhir,) = [
        json.loads(m.attachment.data)
        for m in reply.messages
        if m.attachment and m.attachment.filename.startswith("questionnaires-fhir")
    ]
    Bundle.model_validate(fhir)
    (response,) = [
        e["resource"]
        for e in fhir["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert response["questionnaire"] == "http://loinc.org/q/44249-1"
    items = {i["linkId"]: i.get("answer") for i in response["item"]}
    assert list(items)[:3] == ["44250-9", "44255-8", "44259-0"] and len(items) == 9
    assert items["44250-9"] == [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6569-3",
                "display": "Several days",
            }
        }
    ]
    assert items["44255-8"] is None  # skipped
    assert items["44259-0"][0]["valueCoding"]["code"] == "LA6571-9"
    assert items["44260-8"][0]["valueCoding"]["code"] == "LA6568-5"
