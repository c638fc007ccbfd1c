"""Engine and session factory. SQLite gets WAL, a busy timeout and foreign keys."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000

# Errors that mean "the database cannot be reached or is busy right now" rather than a bug:
# a retry in a minute is likely to work (SQLite locked past the busy timeout, PostgreSQL down
# or restarting, a dropped connection, an exhausted pool).
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def is_unavailable(error: BaseException | None) -> bool:
    """True when `error`, or an error it was raised from, says the database is unavailable
    (see UNAVAILABLE_ERRORS); a DBAPIError that invalidated its connection counts too."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, UNAVAILABLE_ERRORS):
            return True
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if type(error).__module__.startswith("asyncpg") and "Connection" in type(error).__name__:
            return True
        error = error.__cause__ or error.__context__
    return False


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; creates the SQLite file's folder if needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
