"""ORM models. Every schema change is an Alembic migration in `db/migrations/versions/`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Notes are stored as {"az": ..., "en": ..., "ru": ...}: data, not interface text.
Localized = dict[str, str]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {Localized: JSON}


class Names:
    """Mixin: a place's name in the three languages."""

    name_az: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    name_ru: Mapped[str] = mapped_column(String(120))

    def name(self, lang: str) -> str:
        return {"az": self.name_az, "ru": self.name_ru}.get(lang, self.name_en)


class Region(Names, Base):
    """An economic region (Karabakh, East Zangezur); `position` keeps the display order."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    districts: Mapped[list[District]] = relationship(
        back_populates="region", order_by="District.position"
    )


class District(Names, Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="district")
    position: Mapped[int] = mapped_column(Integer, default=0)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[Localized | None]

    region: Mapped[Region] = relationship(back_populates="districts")
    settlements: Mapped[list[Settlement]] = relationship(
        back_populates="district", order_by="Settlement.position"
    )

    @property
    def caravans(self) -> list[Caravan]:
        """The caravans of all its settlements."""
        return [caravan for settlement in self.settlements for caravan in settlement.caravans]


class Settlement(Names, Base):
    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="village")
    position: Mapped[int] = mapped_column(Integer, default=0)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    coordinates_source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[Localized | None]

    district: Mapped[District] = relationship(back_populates="settlements")
    housing: Mapped[list[HousingReport]] = relationship(
        back_populates="settlement",
        order_by="HousingReport.as_of",
        cascade="all, delete-orphan",
    )
    caravans: Mapped[list[Caravan]] = relationship(
        back_populates="settlement", cascade="all, delete-orphan"
    )

    @property
    def current_report(self) -> HousingReport | None:
        """The report its card shows: the latest with figures (homes planned or ready), else
        the latest; None when there is none."""
        with_figures = [r for r in self.housing if r.homes_total is not None or r.ready]
        return max(with_figures or self.housing, key=lambda r: r.as_of, default=None)


class HousingReport(Base):
    """Housing figures for a settlement as published on `as_of` by `source`."""

    __tablename__ = "housing_reports"
    __table_args__ = (UniqueConstraint("settlement_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id", ondelete="CASCADE"), index=True
    )
    as_of: Mapped[dt.date] = mapped_column(Date)
    month_only: Mapped[bool] = mapped_column(Boolean, default=False)
    homes_total: Mapped[int | None]
    ready: Mapped[int | None]
    uninhabitable: Mapped[int | None]
    partly_habitable: Mapped[int | None]
    built: Mapped[int | None]
    under_construction: Mapped[int | None]
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[Localized | None]
    unsure: Mapped[bool] = mapped_column(Boolean, default=False)

    settlement: Mapped[Settlement] = relationship(back_populates="housing")
    deadlines: Mapped[list[HousingDeadline]] = relationship(
        back_populates="report", order_by="HousingDeadline.due_by", cascade="all, delete-orphan"
    )

    def set_deadlines(self, wanted: dict[dt.date, int]) -> None:
        """Make the deadlines exactly `wanted` (due date → homes), changing them in place:
        replacing the list would insert a (report, date) pair before deleting the old one and
        break the unique constraint."""
        current = {d.due_by: d for d in self.deadlines}
        for due_by, deadline in current.items():
            if due_by in wanted:
                deadline.homes = wanted[due_by]
            else:
                self.deadlines.remove(deadline)
        for due_by, homes in sorted(wanted.items()):
            if due_by not in current:
                self.deadlines.append(HousingDeadline(due_by=due_by, homes=homes))


class HousingDeadline(Base):
    """`homes` more homes are due by `due_by` (as published in the report)."""

    __tablename__ = "housing_deadlines"
    __table_args__ = (UniqueConstraint("report_id", "due_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("housing_reports.id", ondelete="CASCADE"), index=True
    )
    due_by: Mapped[dt.date] = mapped_column(Date)
    homes: Mapped[int] = mapped_column(Integer)

    report: Mapped[HousingReport] = relationship(back_populates="deadlines")


class Caravan(Base):
    """A group of returning families arriving in a settlement on `date` (unknown date: NULL)."""

    __tablename__ = "caravans"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    families: Mapped[int | None]
    people: Mapped[int | None]
    first: Mapped[bool] = mapped_column(Boolean, default=False)
    total_families: Mapped[int | None]
    total_people: Mapped[int | None]
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[Localized | None]
    unsure: Mapped[bool] = mapped_column(Boolean, default=False)

    settlement: Mapped[Settlement] = relationship(back_populates="caravans")


class Total(Base):
    """A running national total of returnees, as reported on `as_of`."""

    __tablename__ = "totals"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, unique=True)
    families: Mapped[int | None]
    people: Mapped[int | None]
    settlements: Mapped[int | None]
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[Localized | None]
    unsure: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class User(Base):
    """What is stored about a user (SPEC "Privacy"): ids, language and the blocked flag."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(2))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True)
class UserStats:
    """Users by language, active and blocked, for /stats (`db.broadcasts.user_stats`)."""

    by_language: dict[str, int]
    active: int
    blocked: int


class Subscription(Base):
    """A user follows one settlement, one district, or everything.

    `scope` is the normalised key ("all", "district:<id>", "settlement:<id>") that makes
    (user, scope) unique on every backend; the nullable foreign keys keep references sane:
    deleting a place deletes the subscriptions to it.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(40))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), index=True
    )
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlements.id", ondelete="CASCADE"), index=True
    )

    district: Mapped[District | None] = relationship()
    settlement: Mapped[Settlement | None] = relationship()


class Notice(Base):
    """Something subscribers are told once: a caravan's announcement or reminder, a housing
    change set. The unique `key` ("announce:<caravan id>", "remind7:<caravan id>", …) is what
    makes "exactly once" hold across restarts and replicas; its deliveries are written in the
    same transaction."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    caravan_id: Mapped[int | None] = mapped_column(
        ForeignKey("caravans.id", ondelete="CASCADE"), index=True
    )
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlements.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC

    caravan: Mapped[Caravan | None] = relationship()
    settlement: Mapped[Settlement | None] = relationship()


class Delivery(Base):
    """The outbox: one message of a notice to one user, composed in their language when sent.

    status: pending → sending (claimed) → sent | failed | blocked; times are naive UTC.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notice_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)

    notice: Mapped[Notice] = relationship()
    user: Mapped[User] = relationship()


class Admin(Base):
    """An admin added from the chat (`/admins add`); `ADMIN_IDS` admins are not stored."""

    __tablename__ = "admins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC


class AdminName(Base):
    """The first name and username Telegram gives of an admin (configured or added), kept
    after they stop being one so that the audit log still names them; never users' names."""

    __tablename__ = "admin_names"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(32))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC


class AuditEntry(Base):
    """One admin action: who, when (UTC), what, and the state before → after (JSON)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class ErrorWatcher(Base):
    """An admin who opted in to a message when the bot hits an unexpected error."""

    __tablename__ = "error_watchers"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)


class ProcessedUpdate(Base):
    """Update ids already taken in by some replica: Telegram redelivers a webhook update after
    a timeout, and the first replica to insert its id is the one that handles it."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC


class Broadcast(Base):
    """An admin's message to many users: a draft until confirmed, then sent through the
    outbox (`notice_id`: one delivery per recipient). status: draft → sending → done, or
    draft/sending → cancelled. Times are naive UTC. The text is stored ready to send (HTML,
    the admin's text escaped); a broadcast made by replying to a message copies that message
    (`source_chat_id`, `source_message_id`) instead; with `texts`, each reader gets the
    version in their language (docs/delivery.md, "Broadcasts")."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_id: Mapped[int] = mapped_column(BigInteger)
    admin_chat_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(40))  # "all", "district:<id>", "settlement:<id>"
    text: Mapped[str | None] = mapped_column(Text)
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"))
    progress_message_id: Mapped[int | None]
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    progress_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # last progress edit
    # a version per language (HTML), instead of `text`; the fallback language of readers
    # without one ("skip": they get nothing); sent during the quiet hours when urgent
    texts: Mapped[dict | None] = mapped_column(JSON)
    fallback: Mapped[str | None] = mapped_column(String(8))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # while the admin is asked for the versions one by one: which one, and the prompt
    asking: Mapped[str | None] = mapped_column(String(8))
    prompt_message_id: Mapped[int | None]
    send_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # when its deliveries are due


# Broadcast.status: draft → sending → done, or draft/sending → cancelled
DRAFT, SENDING, DONE, CANCELLED = "draft", "sending", "done", "cancelled"
# Broadcast.fallback that sends nothing to readers of a language without a version
FALLBACK_SKIP = "skip"


@dataclass(frozen=True)
class Counts:
    """Where a broadcast's deliveries are: sent, blocked, failed, cancelled, still to go."""

    total: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def remaining(self) -> int:
        return self.total - self.sent - self.blocked - self.failed - self.cancelled


class PendingAction(Base):
    """An admin action waiting for its ✅ (a preview's data, or a dataset file's bytes), kept
    in the database rather than in one process's memory, so that any webhook replica, also
    after a restart, can honour the press. The button carries only the random `token`; only
    `user_id`, who created it, can use it, once, before `expires_at` (naive UTC)."""

    __tablename__ = "pending_actions"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # an uploaded file, ≤ 5 MB
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class DataVersion(Base):
    """One row whose `version` grows whenever the place data (regions, districts,
    settlements, housing, caravans, totals) changes, in the changing transaction, bumped by
    database triggers (migration 0006), whoever writes: so that every process can tell
    cheaply that its in-memory copy (`db.snapshot`) is out of date."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class Contact(Base):
    """An official address, hotline, office or site an admin entered (`/setcontact`), never
    without its public `source`; `district_id` None: for every district. `kind`: phone,
    email, web or address (`bot.domain.contacts`). Times are naive UTC."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(Text)  # what it is, in the admin's words
    source: Mapped[str] = mapped_column(Text)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)

    district: Mapped[District | None] = relationship()


class FaqEntry(Base):
    """A question admins answered once for all (`/addfaq`): its question and answer in the
    languages the admin gave, for a settlement, a district or (both None) everywhere."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlements.id", ondelete="CASCADE"), index=True
    )
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[Localized]
    answer: Mapped[Localized]
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)

    settlement: Mapped[Settlement | None] = relationship()
    district: Mapped[District | None] = relationship()


# Ticket.status: a question being written (draft), passed on (open), answered at least once
# (answered), or done (closed); a data report is a ticket of kind "report"
DRAFT_TICKET, OPEN, ANSWERED, CLOSED = "draft", "open", "answered", "closed"


class Ticket(Base):
    """A question (or a "this looks out of date" report) a user passes to the admins. What
    admins see of the user: first name, language and place (never a phone number). Times
    are naive UTC; `topic_id` is the forum topic in `SUPPORT_CHAT_ID`, when there is one."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16), default="question")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT_TICKET, index=True)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlements.id", ondelete="SET NULL")
    )
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"))
    place_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[str | None] = mapped_column(Text)  # a data report: the card's figures
    # the user's message that asked, passed on once the place is known
    waiting_message_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # the first answer
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    settlement: Mapped[Settlement | None] = relationship()
    district: Mapped[District | None] = relationship()


class TicketMessage(Base):
    """One message of a ticket and where it went: the user's (`inbound`) copied to the
    support topic or an admin's chat, or an admin's answer (`inbound` false) passed to the
    user. (`chat_id`, `message_id`) is the copy an admin may reply to."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    inbound: Mapped[bool] = mapped_column(Boolean)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)


class AdminDistrict(Base):
    """A district an admin takes questions of (`/admins districts`); an admin with none
    takes every question."""

    __tablename__ = "admin_districts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
