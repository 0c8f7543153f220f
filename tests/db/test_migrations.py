"""The migrations, both ways, on each kind of database.

From empty to the newest revision the schema is exactly the models' (alembic's own
comparison finds nothing to change). From every earlier revision, with a row in every table
it had, the upgrade keeps every row. The newest schema, with data in it, goes all the way
down and back up again. The rows are made from each table's columns, so a new revision
(and its tables) is covered as soon as it is in ``versions/``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.db.migrate import MIGRATIONS
from bot.db.models import Base
from bot.db.session import Database

WHEN = datetime(2026, 3, 8, 9, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory(str(MIGRATIONS))
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _value(column: sa.Column[Any], row_id: int) -> Any:
    """A plausible value for ``column`` in the row numbered ``row_id``."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return row_id
    if isinstance(kind, sa.DateTime):
        return WHEN
    if isinstance(kind, sa.Date):
        return date(2026, 3, 8)
    if isinstance(kind, sa.Float | sa.Numeric):
        return 1.5
    if isinstance(kind, sa.JSON):
        return {"kept": True}
    if isinstance(kind, sa.LargeBinary):
        return b"kept"
    if isinstance(kind, sa.String | sa.Text):
        return f"kept{row_id}"[: kind.length or 64]
    raise AssertionError(
        f"{column.table.name}.{column.name}: no sample value for {kind!r}; add one to _value"
    )


def _fill_every_table(connection: Connection) -> dict[str, int]:
    """Two rows in every table but alembic's own (row 2 with only the required columns);
    the row count of each."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    counts: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        for row_id in (1, 2):
            row = {
                column.name: _value(column, row_id)
                for column in table.columns
                if row_id == 1 or not column.nullable or column.primary_key
            }
            connection.execute(table.insert().values(**row))
        counts[table.name] = 2
    return counts


def _counts(connection: Connection, tables: Iterator[str] | list[str]) -> dict[str, int]:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return {
        name: connection.execute(
            sa.select(sa.func.count()).select_from(metadata.tables[name])
        ).scalar_one()
        for name in tables
    }


def _schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": _types_differ})
    return list(compare_metadata(context, Base.metadata))


def _types_differ(
    context: MigrationContext,
    inspected_column: Any,
    metadata_column: Any,
    inspected_type: Any,
    metadata_type: Any,
) -> bool | None:
    """Alembic's own type comparison, but for one case: on SQLite, which enforces no
    length, a VARCHAR(n) that the models now declare TEXT (``patients.display_name``,
    encrypted since 0006, which widens it on PostgreSQL only: rebuilding the table on
    SQLite would cascade-delete every patient's rows)."""
    if (
        context.dialect.name == "sqlite"
        and isinstance(inspected_type, sa.String)
        and isinstance(getattr(metadata_type, "impl", metadata_type), sa.Text)
    ):
        return False
    return None  # alembic decides


@pytest.fixture
async def database(database_url: str) -> Any:
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_an_empty_database_upgrades_to_exactly_the_models(database: Database) -> None:
    await database.transaction(lambda c: command.upgrade(_config(c), "head"))
    assert await database.transaction(_schema_differences) == []


@pytest.mark.parametrize("start", _revisions()[:-1])
async def test_each_earlier_revision_with_data_upgrades_keeping_every_row(
    database: Database, start: str
) -> None:
    await database.transaction(lambda c: command.upgrade(_config(c), start))
    before = await database.transaction(_fill_every_table)
    await database.transaction(lambda c: command.upgrade(_config(c), "head"))
    assert await database.transaction(lambda c: _counts(c, list(before))) == before
    assert await database.transaction(_schema_differences) == []


async def test_the_newest_schema_with_data_goes_down_to_empty_and_up_again(
    database: Database,
) -> None:
    await database.transaction(lambda c: command.upgrade(_config(c), "head"))
    await database.transaction(_fill_every_table)
    revisions = _revisions()
    for target in [*reversed(revisions[:-1]), "base"]:
        await database.transaction(lambda c, t=target: command.downgrade(_config(c), t))
    left = await database.transaction(lambda c: sa.inspect(c).get_table_names())
    assert set(left) <= {"alembic_version"}
    await database.transaction(lambda c: command.upgrade(_config(c), "head"))
    assert await database.transaction(_schema_differences) == []


_UPGRADE = """
import asyncio, sys
from bot.db.migrate import upgrade_to_head
from bot.db.session import Database

async def main() -> None:
    database = Database(sys.argv[1])
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()

asyncio.run(main())
"""


def test_processes_started_together_on_one_new_sqlite_file_take_turns(tmp_path: Path) -> None:
    # Without the lock file beside it, two of three processes often both created the
    # tables and one failed on "table patients already exists" (5 of 15 in a trial).
    for attempt in range(3):
        url = f"sqlite+aiosqlite:///{tmp_path}/coach{attempt}.sqlite3"
        started = [
            subprocess.Popen(
                [sys.executable, "-c", _UPGRADE, url],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            for _ in range(3)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in started]
        assert [p.returncode for p in started] == [0, 0, 0], outputs
