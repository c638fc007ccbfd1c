"""The durable outbox: notices (each told once, by its unique key) and their deliveries (one
per recipient), written in one transaction and claimed in batches by the delivery loop
(`bot.delivery.worker`); see docs/data-layer.md."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    Select,
    String,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased, selectinload

from db.models import Caravan, Delivery, Notice, Settlement, Subscription, User
from db.times import Timing, utc, wall_clock

ANNOUNCE = "announce"
HOUSING = "housing"

PENDING, SENDING, SENT, FAILED, BLOCKED = "pending", "sending", "sent", "failed", "blocked"

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ subscription scopes


def scope_key(*, settlement_id: int | None = None, district_id: int | None = None) -> str:
    """The normalised, unique-per-user key of a subscription: all, a district, a settlement."""
    if settlement_id is not None:
        return f"settlement:{settlement_id}"
    if district_id is not None:
        return f"district:{district_id}"
    return "all"


def audience(settlement_id: int, district_id: int) -> Select:
    """(user id, chat id) of everyone not blocked who follows the place, its district or all;
    each user once, however many of those they follow."""
    scopes = [
        "all",
        scope_key(district_id=district_id),
        scope_key(settlement_id=settlement_id),
    ]
    follows = select(Subscription.id).where(
        Subscription.user_id == User.id, Subscription.scope.in_(scopes)
    )
    return select(User.id, User.chat_id).where(User.blocked.is_(False), follows.exists())


# ------------------------------------------------------------------ writing notices


async def add_notice(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    now: dt.datetime,
    recipients: Select | None,
    not_before: dt.datetime | None = None,
    caravan_id: int | None = None,
    settlement_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Notice:
    """Insert the notice and one pending delivery per recipient (INSERT … SELECT, so memory
    stays flat); `recipients=None` records the notice as told to nobody. Does not commit."""
    notice = Notice(
        key=key,
        kind=kind,
        caravan_id=caravan_id,
        settlement_id=settlement_id,
        payload=payload,
        created_at=utc(now),
    )
    session.add(notice)
    await session.flush()
    if recipients is not None:
        rows = recipients.subquery()
        columns = select(
            literal(notice.id, Integer),
            rows.c.id,
            rows.c.chat_id.cast(BigInteger),
            literal(PENDING, String),
            literal(0, Integer),
            literal(utc(not_before or now), DateTime),
        )
        await session.execute(
            insert(Delivery).from_select(
                ["notice_id", "user_id", "chat_id", "status", "attempts", "not_before"], columns
            )
        )
    return notice


@dataclass(frozen=True)
class _Caravan:
    id: int
    date: dt.date
    settlement_id: int
    district_id: int


def _caravans() -> Select:
    return select(Caravan.id, Caravan.date, Caravan.settlement_id, Settlement.district_id).join(
        Caravan.settlement
    )


async def scan_caravans(
    db: async_sessionmaker[AsyncSession], now: dt.datetime, *, timing: Timing
) -> int:
    """Announce caravans dated today or later that were never announced, and write the
    reminders whose moment has come (`timing` says when). Returns the number of notices
    written."""
    today = timing.local_date(now)
    announced = select(Notice.id).where(Notice.caravan_id == Caravan.id, Notice.kind == ANNOUNCE)
    horizon = today + dt.timedelta(days=max(timing.REMINDERS.values()))
    fresh_rows: list[_Caravan] = []
    soon_rows: list[_Caravan] = []
    keys: set[str] = set()
    async with db() as session:  # one statement when no reminder can be due (the usual case)
        upcoming = _caravans().add_columns(announced.exists()).where(Caravan.date >= today)
        for *row, told in await session.execute(upcoming):
            caravan = _Caravan(*row)
            if not told:
                fresh_rows.append(caravan)
            elif today < caravan.date <= horizon:
                soon_rows.append(caravan)
        if soon_rows:
            query = select(Notice.key).where(Notice.caravan_id.in_([c.id for c in soon_rows]))
            keys = set(await session.scalars(query))
    written = 0
    not_before = timing.civil_time(now)
    for caravan in fresh_rows:
        # reminders already overdue at the announcement are recorded as skipped
        _send, passed = timing.reminders_due(caravan.date, now)
        written += await _tell(db, caravan, ANNOUNCE, passed, now, not_before)
    for caravan in soon_rows:
        send, passed = timing.reminders_due(caravan.date, now)
        missing = [kind for kind in passed if f"{kind}:{caravan.id}" not in keys]
        if missing:
            to_send = send if send in missing else None
            skip = [k for k in missing if k != to_send]
            written += await _tell(db, caravan, to_send, skip, now, not_before)
    return written


async def _tell(
    db: async_sessionmaker[AsyncSession],
    caravan: _Caravan,
    send: str | None,
    skip: Iterable[str],
    now: dt.datetime,
    not_before: dt.datetime,
) -> int:
    """Write the notice `send` (due from `not_before`) with its deliveries and the `skip` ones
    without, atomically; 0 when another scan (or replica) got there first."""
    recipients = audience(caravan.settlement_id, caravan.district_id)
    try:
        async with db() as session, session.begin():
            if send is not None:
                await add_notice(
                    session,
                    key=f"{send}:{caravan.id}",
                    kind=send,
                    now=now,
                    recipients=recipients,
                    not_before=not_before,
                    caravan_id=caravan.id,
                )
            for kind in skip:
                await add_notice(
                    session,
                    key=f"{kind}:{caravan.id}",
                    kind=kind,
                    now=now,
                    recipients=None,
                    caravan_id=caravan.id,
                )
    except IntegrityError:
        log.info("caravan %s: notice already written elsewhere", caravan.id)
        return 0
    return int(send is not None)


# ------------------------------------------------------------------ housing change alerts


HOUSING_FIELDS = ("homes_total", "ready", "built", "under_construction")


def housing_figures(settlement: Settlement) -> dict[str, int | None]:
    """The figures subscribers are alerted about: planned, ready, built, under construction,
    and `due:<YYYY-MM-DD>` per deadline, of the current report."""
    report = settlement.current_report
    if report is None:
        return {}
    figures = {name: getattr(report, name) for name in HOUSING_FIELDS}
    for deadline in sorted(report.deadlines, key=lambda d: d.due_by):
        figures[f"due:{deadline.due_by.isoformat()}"] = deadline.homes
    return figures


def figure_changes(
    before: dict[str, int | None], after: dict[str, int | None]
) -> list[tuple[str, int | None, int | None]]:
    """(figure, before, after) for each figure that differs, in display order."""
    names = [*HOUSING_FIELDS, *sorted(k for k in {*before, *after} if k.startswith("due:"))]
    return [(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)]


async def record_housing_change(
    session: AsyncSession,
    settlement: Settlement,
    before: dict[str, int | None],
    after: dict[str, int | None],
    now: dt.datetime,
    *,
    timing: Timing,
) -> Notice | None:
    """One alert per change set to the settlement's subscribers (settlement, district, all),
    due when `timing` allows, written in the caller's transaction; None when no figure
    changed. A deadline that has passed and is no longer in the figures was only retired, not
    changed: subscribers are not told of it. Does not commit."""
    today = timing.local_date(now)
    changes = [
        (name, old, new)
        for name, old, new in figure_changes(before, after)
        if not (new is None and name.startswith("due:") and name[4:] < today.isoformat())
    ]
    if not changes:
        return None
    return await add_notice(
        session,
        key=f"{HOUSING}:{settlement.id}:{uuid.uuid4().hex}",
        kind=HOUSING,
        now=now,
        recipients=audience(settlement.id, settlement.district_id),
        not_before=timing.civil_time(now),
        settlement_id=settlement.id,
        payload={"changes": [list(change) for change in changes]},
    )


# ------------------------------------------------------------------ held by the quiet hours


def caravan_notices(caravan_id: int) -> Select:
    """The ids of every notice told of the caravan (announcement, reminders, changes)."""
    return select(Notice.id).where(Notice.caravan_id == caravan_id)


NoticeIds = Iterable[int] | Select


def _held(notice_ids: NoticeIds, now: dt.datetime) -> Any:
    """Pending deliveries of the notices that are not due yet at `now`."""
    ids = notice_ids if isinstance(notice_ids, Select) else sorted(notice_ids)
    return (
        Delivery.notice_id.in_(ids)
        & (Delivery.status == PENDING)
        & (Delivery.not_before > utc(now))
    )


async def held_until(
    session: AsyncSession, notice_ids: NoticeIds, now: dt.datetime
) -> dt.datetime | None:
    """When the first held delivery of the notices (ids, or a select of them such as
    `caravan_notices`) goes out (naive UTC), or None when none waits."""
    return await session.scalar(select(func.min(Delivery.not_before)).where(_held(notice_ids, now)))


async def send_now(session: AsyncSession, notice_ids: NoticeIds, now: dt.datetime) -> int:
    """Make the notices' held deliveries due at `now` (an admin marked them urgent); how
    many. Does not commit."""
    result = await session.execute(
        update(Delivery)
        .where(_held(notice_ids, now))
        .values(not_before=utc(now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


async def housing_place(session: AsyncSession, notice_id: int) -> str | None:
    """The slug of the settlement a housing alert is about; None for any other notice."""
    query = (
        select(Settlement.slug)
        .join(Notice, Notice.settlement_id == Settlement.id)
        .where(Notice.id == notice_id, Notice.kind == HOUSING)
    )
    return await session.scalar(query)


# ------------------------------------------------------------------ the delivery loop's side


def lock_rows(query: Select, dialect: str) -> Select:
    """The one dialect-specific statement of the outbox: on PostgreSQL, claimed rows are
    locked with `FOR UPDATE SKIP LOCKED`, so concurrent workers each get different rows
    without waiting for one another. SQLite has no row locks (and needs none: it runs one
    writer at a time, and the claim's UPDATE re-checks the status)."""
    if dialect == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def _claimable(now: dt.datetime, stale_before: dt.datetime) -> Any:
    """Due pending rows, and rows whose claim lease ran out (their worker died)."""
    due = (Delivery.status == PENDING) & (Delivery.not_before <= utc(now))
    stale = (Delivery.status == SENDING) & (Delivery.claimed_at < stale_before)
    return due | stale


CLAIM_LOCK = 0x7265_7475_726E  # the advisory lock key that serialises claims ("return")
PER_CHAT_INTERVAL = 1.0  # seconds: Telegram's one message per second to one chat


def _chat_busy(stale_before: dt.datetime, spaced_after: dt.datetime) -> Any:
    """Another delivery to the same chat is being sent by a live worker, or was recorded
    sent less than PER_CHAT_INTERVAL ago (`claimed_at` of a sent row is when its outcome
    was written, by the wall clock)."""
    other = aliased(Delivery)
    return (
        select(other.id)
        .where(
            other.chat_id == Delivery.chat_id,
            other.id != Delivery.id,
            ((other.status == SENDING) & (other.claimed_at >= stale_before))
            | ((other.status == SENT) & (other.claimed_at > spaced_after)),
        )
        .exists()
    )


async def claim_due(
    session: AsyncSession,
    now: dt.datetime,
    limit: int,
    *,
    lease: float = 60.0,
    wall: dt.datetime | None = None,
    share: bool = False,
) -> list[int]:
    """Claim up to `limit` deliveries — due pending ones, and those another worker claimed
    more than `lease` seconds ago without finishing (it crashed; live workers renew their
    claims, see `renew_claims`) — mark them sending and return their ids. Commits.

    On PostgreSQL the rows are locked with SKIP LOCKED (`lock_rows`), so several processes
    claim disjoint rows; everywhere the UPDATE re-checks the condition, so a row claimed
    meanwhile by someone else is not claimed twice.

    Per-chat spacing across processes (PostgreSQL, where several workers run): a claim
    skips chats with a delivery being sent or sent less than PER_CHAT_INTERVAL ago, and
    takes at most one row per chat. Two concurrent claimers could still both see a chat
    free, so claims are serialised with a transaction-scoped advisory lock
    (`pg_advisory_xact_lock(CLAIM_LOCK)`, released by the commit): the next claimer's
    statements start after the previous claim committed and see its rows "sending". The
    claim takes milliseconds (a seq scan like before; EXPLAIN on 20,000 rows: ~9 ms), so
    the queue is short. A per-chat `pg_try_advisory_xact_lock` inside the query would not
    do: the query's snapshot is taken before it locks, so a claimer could get a chat's lock
    just after another one committed its claim of that chat and still see the chat free.
    Sending (the slow part) stays parallel. SQLite runs one worker, whose own per-chat wait
    (`bot.delivery.worker`) is enough there.

    With `share`, when fewer than 2 × `limit` are claimable, only half of them (rounded up)
    are claimed: the last rows of a broadcast are then shared by the replicas, rather than
    all queued behind one while the others have nothing left to send."""
    wall = wall or wall_clock()
    stale_before = wall - dt.timedelta(seconds=lease)
    claimable = _claimable(now, stale_before)
    dialect = session.get_bind().dialect.name
    spaced = dialect == "postgresql"
    due = select(Delivery.id, Delivery.chat_id).where(claimable)
    if spaced:
        await session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
        spaced_after = wall - dt.timedelta(seconds=PER_CHAT_INTERVAL)
        due = due.where(~_chat_busy(stale_before, spaced_after))
    due = due.order_by(Delivery.not_before, Delivery.id).limit(2 * limit if share else limit)
    ids: list[int] = []
    chats: set[int] = set()
    for delivery_id, chat_id in await session.execute(lock_rows(due, dialect)):
        if not spaced or chat_id not in chats:  # one per chat: the next waits its second
            ids.append(delivery_id)
            chats.add(chat_id)
    if share:
        ids = ids[: min(limit, (len(ids) + 1) // 2)]
    if not ids:
        await session.commit()
        return []
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), claimable)
        .values(status=SENDING, claimed_at=wall)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    claimed = sorted(result.scalars())
    await session.commit()
    return claimed


async def waiting(session: AsyncSession, now: dt.datetime, *, lease: float = 60.0) -> bool:
    """Whether a delivery is due but was left unclaimed (its chat had to wait its second, or
    another worker holds its chat): `--drain` keeps going while so."""
    stale_before = wall_clock() - dt.timedelta(seconds=lease)
    query = select(Delivery.id).where(_claimable(now, stale_before)).limit(1)
    return (await session.scalar(query)) is not None


async def renew_claims(session: AsyncSession, ids: Sequence[int]) -> None:
    """Extend the lease of deliveries this worker still holds. Commits."""
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == SENDING)
            .values(claimed_at=wall_clock())
            .execution_options(synchronize_session=False)
        )
    await session.commit()


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery with what sending it needs: its notice (with the caravan or the
    settlement, and the district) and the recipient's language."""

    id: int
    notice: Notice
    user_id: int
    chat_id: int
    attempts: int
    language: str


async def load_claimed(session: AsyncSession, ids: Sequence[int]) -> list[Claimed]:
    """The deliveries `ids` (those still there, in id order) as plain rows, and each of
    their notices loaded once."""
    rows = (
        await session.execute(
            select(
                Delivery.id,
                Delivery.notice_id,
                Delivery.user_id,
                Delivery.chat_id,
                Delivery.attempts,
                User.language,
            )
            .join(User, User.id == Delivery.user_id)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.id)
        )
    ).all()
    if not rows:
        return []
    place = selectinload(Settlement.district)
    query = (
        select(Notice)
        .where(Notice.id.in_(sorted({row.notice_id for row in rows})))
        .options(
            selectinload(Notice.caravan).selectinload(Caravan.settlement).options(place),
            selectinload(Notice.settlement).options(place),
        )
    )
    notices = {notice.id: notice for notice in await session.scalars(query)}
    return [
        Claimed(
            row.id, notices[row.notice_id], row.user_id, row.chat_id, row.attempts, row.language
        )
        for row in rows
    ]


async def _set(session: AsyncSession, delivery_id: int, **values: Any) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def mark_sent(
    session: AsyncSession, delivery_ids: int | Sequence[int], now: dt.datetime
) -> None:
    """Sent: one delivery, or many in one statement; `claimed_at` becomes the wall-clock
    moment, which the claim's per-chat spacing reads (`sent_at` is the bot's clock). Commits."""
    ids = [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)
    if ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(status=SENT, sent_at=utc(now), claimed_at=wall_clock(), error=None)
            .execution_options(synchronize_session=False)
        )
    await session.commit()


async def mark_failed(session: AsyncSession, delivery_id: int, error: str) -> None:
    """A permanent failure (e.g. Telegram refused the message). Commits."""
    await _set(session, delivery_id, status=FAILED, error=error[:500])


async def retry_later(
    session: AsyncSession, delivery: Claimed, not_before: dt.datetime, error: str, limit: int
) -> bool:
    """Back to pending after a transient error, or failed after `limit` attempts. Commits;
    True when it will be retried."""
    attempts = delivery.attempts + 1
    retry = attempts < limit
    await _set(
        session,
        delivery.id,
        status=PENDING if retry else FAILED,
        attempts=attempts,
        not_before=utc(not_before),
        error=error[:500],
    )
    return retry


async def mark_blocked(session: AsyncSession, user_id: int) -> None:
    """The user blocked the bot: flag them, and park every delivery not yet sent to them
    (never retried). Commits."""
    await session.execute(update(User).where(User.id == user_id).values(blocked=True))
    await session.execute(
        update(Delivery)
        .where(Delivery.user_id == user_id, Delivery.status.in_([PENDING, SENDING]))
        .values(status=BLOCKED, error="blocked by the user")
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def release(session: AsyncSession, ids: Sequence[int]) -> int:
    """Put deliveries this worker claimed but did not send back to pending (on stop). Rows a
    crashed worker left "sending" are not released here: their lease runs out and any worker
    claims them again (`claim_due`). Commits; returns how many."""
    if not ids:
        return 0
    query = update(Delivery).where(Delivery.status == SENDING, Delivery.id.in_(ids))
    result = await session.execute(
        query.values(status=PENDING, claimed_at=None).execution_options(synchronize_session=False)
    )
    await session.commit()
    return result.rowcount


async def delete_user_deliveries(session: AsyncSession, user_id: int) -> None:
    """Every delivery to the user, sent or not (for /forget). Does not commit."""
    await session.execute(delete(Delivery).where(Delivery.user_id == user_id))
