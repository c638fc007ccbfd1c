"""Alembic migrations, run programmatically by `returnbot db upgrade` and `returnbot run`;
Alembic is imported only when the schema is behind the migration files (`head_revisions`)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import column, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = table("alembic_version", column("version_num"))  # Alembic's default


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def head_revisions() -> frozenset[str]:
    """The head revision ids of `migrations/versions`: those no other revision revises. Read
    from the module-level `revision = …` and `down_revision = …` of each file, without Alembic."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values = _assignments(path, {"revision", "down_revision"})
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
            down = values.get("down_revision")
            revised.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - revised)


def _assignments(path: Path, names: set[str]) -> dict[str, object]:
    """The literal values assigned to `names` at the top level of the Python file `path`."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_bytes(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in names:
            values[target.id] = ast.literal_eval(value)
    return values


async def current_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions recorded in the database's `alembic_version` table; none when the table
    is missing (a new database)."""
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(VERSION_TABLE.c.version_num))
            return frozenset(row[0] for row in rows)
    except DBAPIError:
        return frozenset()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind `engine` to `revision`; for "head", a database already
    there costs one query and Alembic is not even imported."""
    heads = head_revisions()
    if revision == "head" and heads and await current_revisions(engine) == heads:
        return

    def run(connection: Connection) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
