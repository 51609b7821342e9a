"""Database tables. Enums are stored as their plain string values (see dialogs.vocabulary).

What people wrote is stored encrypted (EncryptedText, EncryptedJSON: see storage.crypto); what
statistics, routing and the queues need stays in clear.

Text typed by a citizen is stored as unbounded Text: its length is the dialog's business, and
an appeal must never be lost to a VARCHAR limit that only PostgreSQL enforces.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from dialogs.routing import TRIAGE
from dialogs.vocabulary import AppealStatus
from storage.crypto import DIGEST_LENGTH, EncryptedJSON, EncryptedText

# Stable constraint names, so that later migrations can address them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ENUM_LENGTH = 32

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
BigIntegerPK = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is stored in UTC and always read back timezone-aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive time is ambiguous (server-local? Almaty? UTC?): refuse to guess.
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
        value = value.astimezone(UTC)
        # SQLite has no time zones and would store the local wall time: drop the (UTC) offset.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    """A Telegram user who has talked to the bot."""

    __tablename__ = "users"

    # Telegram's user id: assigned by Telegram, never generated here.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(2))
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class DraftRow(Base):
    """A half-finished intake, so that a conversation survives a restart."""

    __tablename__ = "drafts"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The whole draft: everything typed so far, so all of it is encrypted.
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class AppealRow(Base):
    """A submitted appeal, and where it stands in the office's casework."""

    __tablename__ = "appeals"
    # For the staff's queue pages, the "mine" list and the deadline sweeps (see
    # storage.casework). Each also serves lookups by its first column alone.
    __table_args__ = (
        Index(None, "queue", "status", "created_at"),
        Index(None, "assignee_id", "status"),
        Index(None, "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # No cascade: an appeal is a record of the Ombudsman's office, not the user's session data.
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(
        String(ENUM_LENGTH), default=AppealStatus.NEW.value, server_default=AppealStatus.NEW.value
    )
    outcome: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    category: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    category_suggested: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    urgent: Mapped[bool] = mapped_column(Boolean, index=True, server_default=false())
    old_complaint: Mapped[bool] = mapped_column(Boolean, server_default=false())
    region: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    filer_type: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    relation: Mapped[str | None] = mapped_column(EncryptedText)
    detention_kind: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    institution: Mapped[str | None] = mapped_column(EncryptedText)
    institution_region: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    # The free-text account may itself contain personal and health data.
    story: Mapped[str] = mapped_column(EncryptedText)
    body_complained: Mapped[str | None] = mapped_column(EncryptedText)
    incident_age: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    incident_date: Mapped[str | None] = mapped_column(EncryptedText)
    prior_complaint: Mapped[str | None] = mapped_column(EncryptedText)
    request: Mapped[str | None] = mapped_column(EncryptedText)

    # --- Personal data, encrypted at rest (migration 0005). Keep these together. ---
    subject_name: Mapped[str | None] = mapped_column(EncryptedText)  # whom the appeal is about
    full_name: Mapped[str] = mapped_column(EncryptedText)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    iin: Mapped[str | None] = mapped_column(EncryptedText)  # individual identification number
    # The IIN's blind index (storage.crypto.Keyring.blind_index): equality lookups only.
    iin_digest: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH), index=True)
    address: Mapped[str | None] = mapped_column(EncryptedText)
    # --- End of personal data. ---

    confidential: Mapped[bool] = mapped_column(Boolean, server_default=false())
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    # --- Casework (migration 0002). ---
    # A queue name of dialogs.routing: "triage", "central" or "region:<region id>".
    queue: Mapped[str] = mapped_column(String(64), default=TRIAGE, server_default=TRIAGE)
    # The staff member (staff.user_id) working the appeal; None while it waits in its queue.
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The body the appeal was sent on to, in the staff's words.
    forwarded_to: Mapped[str | None] = mapped_column(EncryptedText)
    forwarded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by every change, so that a button drawn for an older state can be told stale.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When the deadline reminder and the overdue escalation went out: at most once each.
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The citizen withdrew it (an urgent appeal stays open for the staff all the same).
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # --- Retention (migration 0005; storage.retention). ---
    # When the personal data, the free texts and the files were erased; the figures remain.
    anonymised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The citizen asked (/forget) to erase their data while the appeal was still open.
    forget_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    attachments: Mapped[list["AttachmentRow"]] = relationship(
        back_populates="appeal",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AttachmentRow.id",
    )


class AttachmentRow(Base):
    """A file sent with an appeal; the file itself stays on Telegram's servers."""

    __tablename__ = "attachments"
    # Its index also serves lookups by appeal_id alone, so appeal_id needs no index of its own.
    __table_args__ = (UniqueConstraint("appeal_id", "file_unique_id"),)

    id: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    appeal_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("appeals.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    # Telegram documents no maximum length for file ids. Encrypted: with the bot's token a
    # file id downloads the file (photos of injuries, documents).
    file_id: Mapped[str] = mapped_column(EncryptedText)
    file_unique_id: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(255))
    # Telegram allows files over 2 GiB, beyond a 32-bit integer.
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    appeal: Mapped[AppealRow] = relationship(back_populates="attachments")


class AppealCounterRow(Base):
    """The last number given out per prefix and year (see AppealRepository)."""

    __tablename__ = "appeal_counters"

    prefix: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)


class StaffRow(Base):
    """A member of the Ombudsman's office who works appeals in the bot."""

    __tablename__ = "staff"

    # Telegram's user id. No foreign key to users: staff may be registered before they ever
    # write to the bot.
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))  # dialogs.casework.Role
    region: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    name: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    # Staff are deactivated, never deleted: their names stay attached to the appeals' threads.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class AppealEventRow(Base):
    """One entry of an appeal's thread (dialogs.casework.EventKind), in insertion order."""

    __tablename__ = "appeal_events"
    # Reads are "the thread of one appeal, in order"; the index also serves the foreign key.
    __table_args__ = (Index(None, "appeal_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    appeal_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("appeals.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    # None: the citizen or the system (reminders, escalations).
    author_staff_id: Mapped[int | None] = mapped_column(BigInteger)
    # What staff or the citizen wrote; may hold personal data like the story does.
    text: Mapped[str | None] = mapped_column(EncryptedText)
    # SQL NULL when there is nothing to record. Encrypted: a forwarding's data names the body
    # in the staff's words.
    data: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProcessedUpdateRow(Base):
    """Telegram updates already handled, so a redelivered or doubly seen update is skipped.

    Written in the same transaction as the update's effects: an update whose handling failed
    is not marked, and is handled again when Telegram redelivers it.
    """

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class OutboxRow(Base):
    """A Bot API request the bot owes someone (a reply, a notice to staff or a citizen).

    Written in the same transaction as the change it reports, deleted once Telegram has taken
    it: a crash or a Telegram outage delays a message but never drops it (see storage.outbox).
    """

    __tablename__ = "outbox"
    # (chat_id, id): "is an older message to this chat still waiting?", which keeps each chat's
    # messages in order; (not_before): the delivery sweep.
    __table_args__ = (Index(None, "chat_id", "id"), Index(None, "not_before"))

    id: Mapped[int] = mapped_column(BigIntegerPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # The Bot API method ("sendMessage") and its parameters as aiogram serialises them. They
    # hold what the bot says to people, so they are stored like the story (see storage.crypto).
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Not to be tried before this time (Telegram's retry_after, or a back-off after an error).
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    # A process that claimed the row delivers it until then; after that anyone may.
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Telegram refused it for good (a bad request): kept for an operator, never retried.
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChatMessageRow(Base):
    """A message of a citizen's private chat with the bot, in either direction: only its ids,
    kept for Telegram's 48 hours, so that "delete this conversation" can remove them for
    people whose phone others may read."""

    __tablename__ = "chat_messages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
