"""What the bot needs to know when an update arrives, in one round trip.

Every update used to cost five statements for this: the processed-updates mark
(storage.repositories.UpdateLog), the user's language, the staff lookup and the draft before
its handler ran, and "does this chat still wait for older letters" (storage.outbox) when its
replies were stored. `arrive` asks all of it at once; on PostgreSQL the mark is a
data-modifying CTE of the same statement, on SQLite (which has none) it is a second
statement. What was read stays in the session for the rest of the update's transaction (see
the repositories), so they do not read it again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.casework import Staff
from storage.casework import _STAFF_COLUMNS, _staff
from storage.db import execute_core
from storage.models import DraftRow, OutboxRow, StaffRow, UserRow
from storage.outbox import remember_waiting
from storage.repositories import (
    _MARK_UPDATE,
    StoredDraft,
    UpdateLog,
    _require_aware,
    remember_draft,
    remember_user,
)


@dataclass(frozen=True)
class Arrival:
    """An update's first look at the database."""

    first_time: bool  # False: handled before (a redelivery), skip it
    language: str | None  # the user's chosen language, None if never chosen
    staff: Staff | None  # the staff member behind the update (active or not), or None
    draft: StoredDraft | None
    chat_waiting: bool  # letters to the chat are still waiting in the outbox


async def arrive(
    session: AsyncSession,
    *,
    bot_id: int,
    update_id: int,
    user_id: int,
    chat_id: int,
    now: datetime,
    delivered: Sequence[int] = (),
) -> Arrival:
    """Mark the update as handled and read the user's state, in the caller's transaction.

    `delivered`: outbox rows the caller has delivered but not struck off yet, which keep no
    chat waiting (as in OutboxRepository.add).
    """
    _require_aware(now, "now")
    params = {"user_id": user_id, "chat_id": chat_id, "delivered": list(delivered)}
    mark = {"bot_id": bot_id, "update_id": update_id, "processed_at": now}
    if session.get_bind().dialect.name == "postgresql":
        row = (await execute_core(session, _MARK_AND_READ, {**params, **mark})).one()
        first_time = row.first_time
    else:  # SQLite: no INSERT inside a WITH
        first_time = await UpdateLog(session).first_time(bot_id, update_id, now=now)
        row = (await execute_core(session, _READ, {**params, "first_time": first_time})).one()
    staff = None if row.user_id is None else _staff(row)
    draft = (
        None
        if row.draft_revision is None
        else StoredDraft(row.draft_data, row.draft_revision, row.draft_updated_at)
    )
    if first_time:
        if row.known_user is not None:
            remember_user(session, user_id)
        remember_draft(session, user_id, draft)
        remember_waiting(session, chat_id, bool(row.chat_waiting))
    return Arrival(
        first_time=bool(first_time),
        language=row.language,
        staff=staff,
        draft=draft,
        chat_waiting=bool(row.chat_waiting),
    )


def _read(first_time: Any) -> Select[Any]:
    # Tables, not mapped classes: a Core statement, run with execute_core.
    users, staff, drafts, outbox = (
        row.__table__.c for row in (UserRow, StaffRow, DraftRow, OutboxRow)
    )
    me = select(bindparam("user_id", type_=BigInteger).label("id")).subquery("me")
    waiting = exists().where(
        outbox.chat_id == bindparam("chat_id"),
        outbox.failed_at.is_(None),
        outbox.id.not_in(bindparam("delivered", expanding=True)),
    )
    return (
        select(
            first_time.label("first_time"),
            users.id.label("known_user"),
            users.language,
            *(staff[column.key] for column in _STAFF_COLUMNS),
            drafts.data.label("draft_data"),
            drafts.revision.label("draft_revision"),
            drafts.updated_at.label("draft_updated_at"),
            waiting.label("chat_waiting"),
        )
        .select_from(me)
        .outerjoin(UserRow.__table__, users.id == me.c.id)
        .outerjoin(StaffRow.__table__, staff.user_id == me.c.id)
        .outerjoin(DraftRow.__table__, drafts.user_id == me.c.id)
    )


# Built once, with bound parameters: building and keying a statement of this size for every
# update cost more than running it (about 1 ms of CPU, measured).
_MARK = _MARK_UPDATE["postgresql"].cte("mark")
_MARK_AND_READ = _read(exists(select(_MARK)))
_READ = _read(bindparam("first_time", type_=Boolean))
