"""The audit trail, for admins: read it in the portal, or export every line as CSV.

Reading and exporting it are audited too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from bot.db import alerts as rows
from bot.portal.web import SignedIn, admin_page, page, portal_state

__all__ = ["audit_csv", "audit_page"]

COLUMNS = ("id", "at", "clinician_id", "actor", "action", "share_id", "detail")


#: Lines per page in the portal (older ones a link away; the export has every line).
PAGE_LINES = 500


def _read(
    who: SignedIn, action: str, limit: int | None, before_id: int | None = None
) -> Callable[[Connection], list[rows.AuditRecord]]:
    def read(connection: Connection) -> list[rows.AuditRecord]:
        rows.add_audit(
            connection, actor=who.clinician.email, action=action, clinician_id=who.clinician.id
        )
        return rows.audit_entries(connection, limit=limit, before_id=before_id)

    return read


async def _audit_page(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)
    raw = request.query_params.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 19 else None
    entries = await state.database.transaction(_read(who, "view.audit", PAGE_LINES, before))
    older = entries[-1].id if len(entries) == PAGE_LINES else None
    return page(
        request,
        "audit.html",
        {"entries": entries, "older": older, "paged": before is not None, "lines": PAGE_LINES},
        who=who,
    )


async def _audit_csv(request: Request, who: SignedIn) -> Response:
    state = portal_state(request)
    entries = await state.database.transaction(_read(who, "export.audit", None))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            _cell(v)
            for v in [
                e.id,
                e.at.isoformat(),
                e.clinician_id or "",
                e.actor,
                e.action,
                e.share_id or "",
                e.detail or "",
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="portal-audit.csv"'},
    )


def _cell(value: object) -> object:
    """A spreadsheet must not run a cell as a formula (an email may start with "=")."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


audit_page = admin_page(_audit_page)
audit_csv = admin_page(_audit_csv)
