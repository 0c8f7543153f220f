"""/export as files the patient can keep or hand on: everything as JSON, the check-in
ratings and questionnaire scores as CSV (one row per number), and the questionnaires as a
FHIR R4 bundle an EHR can import. Sent as documents, so nothing is cut into chat pieces.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.coach.fhir_export import fhir_bundle_json
from bot.coach.progress.figures import CHECKIN_RATINGS
from bot.db.measures import MeasureRow
from bot.flow.questionnaire import Questionnaire
from bot.shared.content import Content
from bot.shared.messages import Attachment, OutboundMessage

__all__ = ["CSV_COLUMNS", "export_files", "ratings_csv"]

CSV_COLUMNS = ("when_utc", "source", "name", "value", "band", "flags")


def ratings_csv(document: Mapping[str, Any]) -> bytes:
    """Each check-in rating and each questionnaire total, one row per number, oldest first."""
    rows: list[tuple[Any, ...]] = []
    for entry in document.get("journal", []):
        if entry.get("kind") != "check_in":
            continue
        for rating in CHECKIN_RATINGS:
            value = entry["data"].get(rating)
            if value is not None:
                rows.append((entry["created_at"], "check_in", rating, value, "", ""))
        if entry["data"].get("kratom") is not None:
            rows.append(
                (entry["created_at"], "check_in", "kratom", entry["data"]["kratom"], "", "")
            )
    for measure in document.get("measures", []):
        value = "skipped" if measure["skipped"] else measure["total"]
        if value is None:
            value = "not scored"
        rows.append(
            (
                measure["taken_at"],
                "questionnaire",
                measure["measure"],
                value,
                measure["band"] or "",
                " ".join(measure["flags"]),
            )
        )
    rows.sort(key=lambda row: str(row[0]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def export_files(
    document: Mapping[str, Any],
    rows: Sequence[MeasureRow],
    questionnaires: Mapping[str, Questionnaire],
    name: str | None,
    content: Content,
) -> list[OutboundMessage]:
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    everything = json.dumps(document, ensure_ascii=False, indent=1, default=str).encode()
    return [
        OutboundMessage(
            content.get("export.json"),
            attachment=Attachment("document", f"coach-export-{today}.json", everything),
        ),
        OutboundMessage(
            content.get("export.csv"),
            attachment=Attachment(
                "document", f"ratings-and-scores-{today}.csv", ratings_csv(document)
            ),
        ),
        OutboundMessage(
            content.get("export.fhir"),
            attachment=Attachment(
                "document",
                f"questionnaires-fhir-r4-{today}.json",
                fhir_bundle_json(rows, questionnaires, name),
            ),
        ),
    ]
