"""The questionnaires as FHIR R4 resources an EHR can import: a ``collection`` Bundle
holding, per administration, a ``QuestionnaireResponse`` (each item's answer) and an
``Observation`` (the total, with its LOINC code where the instrument has one, and the
band as the interpretation's text), both pointing at one ``Patient`` that carries only
the patient's chosen name: no Telegram id, no chat. Items are named by their LOINC codes
and answers coded with LOINC answer codes where the instrument has them, so a health
record can match them to the LOINC form.

Validated with ``fhir.resources``' R4B models (FHIR 4.3.0, the R4 line: QuestionnaireResponse
and Observation are unchanged from 4.0.1), imported only when an export is made.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.db.measures import MeasureRow
from bot.flow.questionnaire import Questionnaire

__all__ = ["LOCAL_SYSTEM", "fhir_bundle", "fhir_bundle_json"]

LOINC = "http://loinc.org"
#: The code system of measures and answers that have no LOINC code (the coach's own).
LOCAL_SYSTEM = "urn:kratom-recovery-coach:measures"
_SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _answer(questionnaire: Questionnaire, item_id: str, value: Any) -> list[dict[str, Any]]:
    item = next((i for i in questionnaire.items if i.id == item_id), None)
    if item is None or value is None:
        return []
    if item.scale is not None:
        return [{"valueInteger": int(value)}]
    option = next((o for o in questionnaire.options_of(item) if o.value == value), None)
    if option is None:
        return []
    if option.loinc:  # the instrument's own answer code, which a health record matches
        return [{"valueCoding": {"system": LOINC, "code": option.loinc, "display": option.text}}]
    return [{"valueCoding": {"system": LOCAL_SYSTEM, "code": option.value, "display": option.text}}]


def _response(
    questionnaire: Questionnaire, row: MeasureRow, patient: str, full_url: str
) -> dict[str, Any]:
    items = []
    if questionnaire.gate is not None and row.answers.get("gate") is not None:
        gate = str(row.answers["gate"])
        display = questionnaire.gate.yes if gate == "yes" else questionnaire.gate.no
        items.append(
            {
                "linkId": "gate",
                "text": questionnaire.gate.text,
                "answer": [
                    {"valueCoding": {"system": LOCAL_SYSTEM, "code": gate, "display": display}}
                ],
            }
        )
    for item in questionnaire.items:
        # The LOINC form's items are named by their LOINC codes: the same linkIds let a
        # health record match each answer to its question.
        entry: dict[str, Any] = {"linkId": item.loinc or item.id, "text": item.text}
        answer = _answer(questionnaire, item.id, row.answers.get(item.id))
        if answer:
            entry["answer"] = answer
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "subject": {"reference": patient},
        "authored": _when(row.taken_at),
        "item": items,
    }
    if questionnaire.loinc:
        resource["questionnaire"] = f"{LOINC}/q/{questionnaire.loinc}"
    return resource


def _observation(
    questionnaire: Questionnaire, row: MeasureRow, patient: str, response_url: str
) -> dict[str, Any]:
    coding = [
        {"system": LOCAL_SYSTEM, "code": questionnaire.measure, "display": questionnaire.name}
    ]
    if questionnaire.total_loinc:
        coding.insert(
            0,
            {
                "system": LOINC,
                "code": questionnaire.total_loinc,
                "display": f"{questionnaire.name} total score",
            },
        )
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [_SURVEY],
        "code": {"coding": coding, "text": f"{questionnaire.name} ({questionnaire.version})"},
        "subject": {"reference": patient},
        "effectiveDateTime": _when(row.taken_at),
        "derivedFrom": [{"reference": response_url}],
    }
    if row.total is not None:
        resource["valueQuantity"] = {
            "value": row.total,
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
    else:
        resource["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "not-performed",
                }
            ],
            "text": f"{len(row.missing)} items skipped: not scored",
        }
    notes = []
    if row.band:
        resource["interpretation"] = [{"text": row.band}]
    if row.flags:
        notes.append("Item rules: " + ", ".join(row.flags))
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    return resource


def fhir_bundle(
    rows: Sequence[MeasureRow], questionnaires: Mapping[str, Questionnaire], name: str | None
) -> dict[str, Any]:
    """The bundle as a dict, validated (``fhir.resources`` raises if it is not valid R4)."""
    from fhir.resources.R4B.bundle import Bundle

    patient_url = _urn()
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if name:
        patient["name"] = [{"text": name}]
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": patient}]
    for row in rows:
        questionnaire = questionnaires.get(row.measure)
        if questionnaire is None or row.skipped:
            continue
        response_url = _urn()
        entries.append(
            {
                "fullUrl": response_url,
                "resource": _response(questionnaire, row, patient_url, response_url),
            }
        )
        entries.append(
            {
                "fullUrl": _urn(),
                "resource": _observation(questionnaire, row, patient_url, response_url),
            }
        )
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    Bundle.model_validate(bundle)
    return bundle


def fhir_bundle_json(
    rows: Sequence[MeasureRow], questionnaires: Mapping[str, Questionnaire], name: str | None
) -> bytes:
    return json.dumps(
        fhir_bundle(rows, questionnaires, name), ensure_ascii=False, indent=1
    ).encode()
