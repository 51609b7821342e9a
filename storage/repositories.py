"""Data access for the bot. Repositories work inside the caller's transaction.

They may flush, but never begin, commit or roll back: the bot's middleware owns exactly one
transaction per update, so everything a handler does is saved or discarded together. They
return domain objects and plain values, never ORM rows.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.appeal import AppealSummary, Attachment, NewAppeal
from dialogs.casework import EventKind, all_queues
from dialogs.routing import TRIAGE
from dialogs.vocabulary import (
    KAZAKHSTAN_TIME,
    LANGUAGES,
    REGION_CODES,
    AppealStatus,
    AttachmentKind,
    Category,
    Outcome,
)
from storage.crypto import current_keyring
from storage.db import execute_core
from storage.models import (
    AppealCounterRow,
    AppealEventRow,
    AppealRow,
    AttachmentRow,
    ChatMessageRow,
    DraftRow,
    ProcessedUpdateRow,
    UserRow,
    utcnow,
)


@dataclass(frozen=True)
class StoredDraft:
    """A saved in-progress intake."""

    data: dict[str, Any]
    revision: int
    updated_at: datetime


def _insert(session: AsyncSession) -> Callable[..., Any]:
    """Return the dialect's INSERT construct, which supports ON CONFLICT and RETURNING."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"unsupported database dialect: {name}")


# What an update's first statement (storage.arrival) read, kept in the session for the rest of
# its transaction, so that the same rows are not read again; every write below keeps it true.
_DRAFTS_READ = "drafts_read"  # user id -> StoredDraft, or None: the user has no draft
_USERS_KNOWN = "users_known"  # user ids whose row exists


def remember_draft(session: AsyncSession, user_id: int, draft: StoredDraft | None) -> None:
    session.info.setdefault(_DRAFTS_READ, {})[user_id] = draft


def remember_user(session: AsyncSession, user_id: int) -> None:
    session.info.setdefault(_USERS_KNOWN, set()).add(user_id)


def forget_remembered(session: AsyncSession, user_id: int) -> None:
    """For code that deletes a user's rows by other means than these repositories."""
    session.info.get(_DRAFTS_READ, {}).pop(user_id, None)
    session.info.get(_USERS_KNOWN, set()).discard(user_id)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


class UserRepository:
    """Per-user settings: interface language and consent to data processing."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_language(self, user_id: int) -> str | None:
        """Return the user's chosen language, or None if none was chosen."""
        return await self._session.scalar(select(UserRow.language).where(UserRow.id == user_id))

    async def ensure(self, user_id: int) -> None:
        """Create the user's row if it does not exist yet."""
        if user_id in self._session.info.get(_USERS_KNOWN, ()):
            return
        now = utcnow()
        statement = (
            _insert(self._session)(UserRow)
            .values(id=user_id, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=[UserRow.id])
        )
        await self._session.execute(statement)
        remember_user(self._session, user_id)

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the user's interface language (one of dialogs.vocabulary.LANGUAGES)."""
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
        await self._upsert(user_id, language=language)

    async def set_consent(self, user_id: int, at: datetime | None) -> None:
        """Record when the user consented to data processing, or None to withdraw it."""
        if at is not None:
            _require_aware(at, "at")
        await self._upsert(user_id, consent_at=at)

    async def get_consent(self, user_id: int) -> datetime | None:
        """Return when the user consented to data processing, or None."""
        return await self._session.scalar(select(UserRow.consent_at).where(UserRow.id == user_id))

    async def _upsert(self, user_id: int, **values: Any) -> None:
        # One statement, so two updates from the same new user cannot both try to insert.
        now = utcnow()
        statement = _insert(self._session)(UserRow).values(
            id=user_id, created_at=now, updated_at=now, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[UserRow.id], set_={**values, "updated_at": now}
        )
        await self._session.execute(statement)
        remember_user(self._session, user_id)


class DraftRepository:
    """The in-progress intake of each user (at most one)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, user_id: int) -> StoredDraft | None:
        """Return the user's saved draft, or None."""
        read = self._session.info.get(_DRAFTS_READ, {})
        if user_id in read:
            return read[user_id]
        statement = select(DraftRow.data, DraftRow.revision, DraftRow.updated_at).where(
            DraftRow.user_id == user_id
        )
        row = (await self._session.execute(statement)).one_or_none()
        if row is None:
            return None
        return StoredDraft(data=row.data, revision=row.revision, updated_at=row.updated_at)

    async def save(self, user_id: int, data: dict[str, Any], revision: int) -> None:
        """Insert or replace the user's draft (data must be JSON-serialisable)."""
        await UserRepository(self._session).ensure(user_id)
        upsert = _DRAFT_UPSERT[self._session.get_bind().dialect.name]
        values = {"user_id": user_id, "data": data, "revision": revision, "updated_at": utcnow()}
        await execute_core(self._session, upsert, values)
        # Read again from the database if asked: a caller may still change `data`.
        self._session.info.get(_DRAFTS_READ, {}).pop(user_id, None)

    async def delete(self, user_id: int) -> None:
        """Delete the user's draft, if any."""
        await self._session.execute(
            delete(DraftRow)
            .where(DraftRow.user_id == user_id)
            .execution_options(synchronize_session=False)
        )
        remember_draft(self._session, user_id, None)


class AppealRepository:
    """Submitted appeals and their numbers."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        new: NewAppeal,
        *,
        now: datetime,
        queue: str = TRIAGE,
        due_at: datetime | None = None,
    ) -> str:
        """Store a finished intake with its attachments and return its new number.

        `queue` is where the staff will find it (dialogs.routing.route), `due_at` its response
        deadline (dialogs.calendar). The appeal's thread starts with a SUBMITTED event.
        """
        _require_aware(now, "now")
        _require_aware(new.consent_at, "consent_at")
        require_queue(queue)
        if due_at is not None:
            _require_aware(due_at, "due_at")
        await UserRepository(self._session).ensure(new.user_id)
        # A custody appeal is handled where the institution is, not where the filer lives.
        prefix = REGION_CODES[new.institution_region or new.region]
        # The year of the number is Kazakhstan's, not UTC's: 1 January starts at 00:00 there.
        number = await self._allocate_number(prefix, now.astimezone(KAZAKHSTAN_TIME).year)
        row = AppealRow(
            number=number,
            user_id=new.user_id,
            chat_id=new.chat_id,
            language=new.language,
            status=AppealStatus.NEW.value,
            outcome=None,
            category=new.category.value,
            category_suggested=_value(new.category_suggested),
            urgent=new.urgent,
            old_complaint=new.old_complaint,
            region=new.region.value,
            filer_type=new.filer_type.value,
            relation=new.relation,
            detention_kind=_value(new.detention_kind),
            institution=new.institution,
            institution_region=_value(new.institution_region),
            story=new.story,
            body_complained=new.body_complained,
            incident_age=_value(new.incident_age),
            incident_date=new.incident_date,
            prior_complaint=new.prior_complaint,
            request=new.request,
            subject_name=new.subject_name,
            full_name=new.full_name,
            phone=new.phone,
            iin=new.iin,
            iin_digest=current_keyring().blind_index(new.iin),
            address=new.address,
            confidential=new.confidential,
            consent_at=new.consent_at,
            created_at=now,
            updated_at=now,
            queue=queue,
            due_at=due_at,
            attachments=[
                AttachmentRow(
                    kind=attachment.kind.value,
                    file_id=attachment.file_id,
                    file_unique_id=attachment.file_unique_id,
                    mime_type=attachment.mime_type,
                    file_size=attachment.file_size,
                    created_at=now,
                )
                for attachment in _unique_attachments(new.attachments)
            ],
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add(
            AppealEventRow(
                appeal_id=row.id,
                kind=EventKind.SUBMITTED.value,
                author_staff_id=None,
                data={"queue": queue},
                created_at=now,
            )
        )
        await self._session.flush()
        return number

    async def list_for_user(self, user_id: int, limit: int = 20) -> list[AppealSummary]:
        """Return the user's appeals, newest first."""
        statement = (
            select(
                AppealRow.id,
                AppealRow.number,
                AppealRow.category,
                AppealRow.status,
                AppealRow.outcome,
                AppealRow.urgent,
                AppealRow.created_at,
            )
            .where(AppealRow.user_id == user_id)
            .order_by(AppealRow.created_at.desc(), AppealRow.id.desc())
            .limit(limit)
        )
        rows = await self._session.execute(statement)
        return [
            AppealSummary(
                number=row.number,
                category=Category(row.category),
                status=AppealStatus(row.status),
                outcome=Outcome(row.outcome) if row.outcome is not None else None,
                urgent=row.urgent,
                created_at=row.created_at,
                id=row.id,
            )
            for row in rows
        ]

    async def count(self) -> int:
        """Return the number of stored appeals."""
        return await self._session.scalar(select(func.count()).select_from(AppealRow)) or 0

    async def attachments(self, appeal_id: int) -> list[Attachment]:
        """The files sent with an appeal, in the order they came."""
        rows = await self._session.scalars(
            select(AttachmentRow)
            .where(AttachmentRow.appeal_id == appeal_id)
            .order_by(AttachmentRow.id)
        )
        return [
            Attachment(
                kind=AttachmentKind(r.kind),
                file_id=r.file_id,
                file_unique_id=r.file_unique_id,
                mime_type=r.mime_type,
                file_size=r.file_size,
            )
            for r in rows
        ]

    async def _allocate_number(self, prefix: str, year: int) -> str:
        """Take the next number of the (prefix, year) sequence, e.g. "PAV-2026-000123".

        The upsert is atomic on both backends. On PostgreSQL it locks the counter row until
        the surrounding transaction ends, so concurrent appeals of one region queue up briefly
        and get consecutive numbers. The increment is part of the transaction: a rolled-back
        appeal hands its number to the next one, so show a number only after commit. The
        counter never goes down, so numbers of later-deleted appeals are not reused either;
        the sequence may have gaps, and only uniqueness is guaranteed.
        """
        statement = (
            _insert(self._session)(AppealCounterRow)
            .values(prefix=prefix, year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=[AppealCounterRow.prefix, AppealCounterRow.year],
                set_={"last_value": AppealCounterRow.last_value + 1},
            )
            .returning(AppealCounterRow.last_value)
        )
        sequence = (await self._session.execute(statement)).scalar_one()
        return f"{prefix}-{year}-{sequence:06d}"


def require_queue(queue: str) -> None:
    """Refuse a queue name that no staff member would ever see (dialogs.casework.all_queues)."""
    if queue not in all_queues():
        raise ValueError(f"unknown queue {queue!r}")


def _value(member: StrEnum | None) -> str | None:
    """Return an enum member's stored string, keeping None."""
    return None if member is None else member.value


def _unique_attachments(attachments: Iterable[Attachment]) -> list[Attachment]:
    """Drop re-sent files (same file_unique_id), keeping the first of each."""
    seen: set[str] = set()
    unique = []
    for attachment in attachments:
        if attachment.file_unique_id not in seen:
            seen.add(attachment.file_unique_id)
            unique.append(attachment)
    return unique


def _draft_upsert(insert: Callable[..., Any]) -> Any:
    # On the table, not the mapped class: run with execute_core, without the ORM's layer.
    statement = insert(DraftRow.__table__).values(
        {c: bindparam(c) for c in ("user_id", "data", "revision", "updated_at")}
    )
    # `excluded`: the new row's values, so the draft is bound (and encrypted) once, not twice.
    return statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={c: statement.excluded[c] for c in ("data", "revision", "updated_at")},
    )


# Built once: constructing and keying the statement per update cost more than running it.
_DRAFT_UPSERT = {
    "postgresql": _draft_upsert(postgresql.insert),
    "sqlite": _draft_upsert(sqlite.insert),
}


def _mark_update(insert: Callable[..., Any]) -> Any:
    table = ProcessedUpdateRow.__table__
    return (
        insert(table)
        .values({c: bindparam(c) for c in ("bot_id", "update_id", "processed_at")})
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        .returning(table.c.update_id)
    )


_MARK_UPDATE = {
    "postgresql": _mark_update(postgresql.insert),
    "sqlite": _mark_update(sqlite.insert),
}


class UpdateLog:
    """Which Telegram updates were handled already (exactly-once handling of each update)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, bot_id: int, update_id: int, *, now: datetime) -> bool:
        """Record the update; False if it was recorded before (then skip it)."""
        _require_aware(now, "now")
        mark = _MARK_UPDATE[self._session.get_bind().dialect.name]
        values = {"bot_id": bot_id, "update_id": update_id, "processed_at": now}
        return (await execute_core(self._session, mark, values)).first() is not None

    async def last_update_id(self, bot_id: int) -> int | None:
        """The highest update id recorded for the bot (None: none recorded)."""
        statement = select(func.max(ProcessedUpdateRow.update_id)).where(
            ProcessedUpdateRow.bot_id == bot_id
        )
        return await self._session.scalar(statement)

    async def forget_before(self, before: datetime) -> int:
        """Drop records older than Telegram's redelivery window; return how many."""
        result = await self._session.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.processed_at < before)
        )
        return result.rowcount or 0


def _record_message(insert: Callable[..., Any]) -> Any:
    return (
        insert(ChatMessageRow.__table__)
        .values({c: bindparam(c) for c in ("chat_id", "message_id", "sent_at")})
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )


_RECORD_MESSAGE = {
    "postgresql": _record_message(postgresql.insert),
    "sqlite": _record_message(sqlite.insert),
}


class ChatMessages:
    """Ids of recent messages in citizens' private chats (no contents), so the bot can delete
    a conversation on request. Telegram lets a bot delete messages for 48 hours only."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, messages: Iterable[tuple[int, int]], *, now: datetime) -> None:
        """Remember (chat id, message id) pairs; one already remembered is left as it is."""
        _require_aware(now, "now")
        rows = [{"chat_id": c, "message_id": m, "sent_at": now} for c, m in set(messages)]
        if rows:
            # One statement for the whole batch (executemany), built once.
            await execute_core(
                self._session, _RECORD_MESSAGE[self._session.get_bind().dialect.name], rows
            )

    async def since(self, chat_id: int, since: datetime) -> list[int]:
        """The chat's message ids recorded since `since`, oldest first."""
        _require_aware(since, "since")
        statement = (
            select(ChatMessageRow.message_id)
            .where(ChatMessageRow.chat_id == chat_id, ChatMessageRow.sent_at >= since)
            .order_by(ChatMessageRow.message_id)
        )
        return list(await self._session.scalars(statement))

    async def forget_chat(self, chat_id: int) -> None:
        await self._session.execute(
            delete(ChatMessageRow).where(ChatMessageRow.chat_id == chat_id)
        )

    async def forget_before(self, before: datetime) -> int:
        """Drop ids too old for Telegram to delete anyway; return how many."""
        result = await self._session.execute(
            delete(ChatMessageRow).where(ChatMessageRow.sent_at < before)
        )
        return result.rowcount or 0
