"""Casework storage: staff, queues, who works which appeal, deadlines, and each appeal's thread.

Like storage.repositories, these work inside the caller's transaction: they may flush, but
never begin, commit or roll back. The rules (who may do what) are dialogs.casework's; the
bot applies them to what `CaseRepository.lock` returns and then calls one mutation, all in one
transaction:

    case = await cases.lock(appeal_id)
    if case is None or (reason := refusal(staff, case, Action.CLOSE)) is not None:
        ...  # tell the staff member why
    else:
        await cases.close(appeal_id, staff.user_id, outcome, message, now=now)

Every mutation bumps the appeal's `version` and `updated_at` and records an event in the
thread, and each one re-checks, inside its UPDATE, the state it needs (not closed, still
unassigned...), so that even a caller that skipped `lock` cannot, say, close an appeal twice.

Concurrency. On PostgreSQL `lock` is SELECT ... FOR UPDATE (a row lock until commit) and
`take_next` uses FOR UPDATE SKIP LOCKED, so concurrent workers pick different appeals. SQLite
has no row locks; it lets one transaction write at a time. There `lock` and `take_next` first
take that write lock with a no-op UPDATE, so the read that follows is of the newest state and
no other connection can change it before the transaction ends (others wait, up to the
busy_timeout that storage.db sets).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.casework import CaseView, EventKind, Role, Staff
from dialogs.vocabulary import (
    AppealStatus,
    Category,
    FilerType,
    Outcome,
    Region,
)
from storage.crypto import current_keyring
from storage.models import (
    AppealEventRow,
    AppealRow,
    AttachmentRow,
    StaffRow,
    UtcDateTime,
    utcnow,
)
from storage.repositories import _insert, _require_aware, _value, require_queue

OPEN_STATUSES: tuple[str, ...] = (AppealStatus.NEW.value, AppealStatus.IN_PROGRESS.value)
EXCERPT_LENGTH = 300
VIEWS: tuple[str, ...] = ("new", "mine", "overdue", "urgent", "all")
# The most appeals one deadline sweep (due_soon, overdue_unescalated) returns.
SWEEP_LIMIT = 500
# take_next's attempts when it loses a race (it should not: see the module's docstring).
TAKE_NEXT_ATTEMPTS = 5

# A position in a queue listing: the (created_at, id) of the last appeal shown.
Cursor = tuple[datetime, int]


@dataclass(frozen=True)
class ThreadEntry:
    """One event of an appeal's thread."""

    kind: EventKind
    author_staff_id: int | None  # None: the citizen or the system
    text: str | None
    data: dict[str, Any] | None
    created_at: datetime
    id: int


class StaffRepository:
    """The office's staff and their roles."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> Staff | None:
        """Return the staff member with this Telegram id (active or not), or None."""
        statement = select(*_STAFF_COLUMNS).where(StaffRow.user_id == user_id)
        row = (await self._session.execute(statement)).one_or_none()
        return None if row is None else _staff(row)

    async def upsert(self, staff: Staff, *, added_by: int | None) -> None:
        """Register a staff member or change their role, region, name or activity.

        `added_by` is recorded when the member is first registered and kept afterwards.
        """
        role = Role(staff.role)
        region = None if staff.region is None else Region(staff.region)
        if role is Role.REPRESENTATIVE and (region is None or region is Region.OUTSIDE):
            # queue_of_region(None or OUTSIDE) is a queue nobody routes appeals to.
            raise ValueError("a representative needs a region of Kazakhstan")
        now = utcnow()
        values = {
            "role": role.value,
            "region": _value(region),
            "name": staff.name,
            "active": staff.active,
        }
        statement = (
            _insert(self._session)(StaffRow)
            .values(user_id=staff.user_id, added_by=added_by, created_at=now, updated_at=now)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[StaffRow.user_id], set_={**values, "updated_at": now}
            )
        )
        await self._session.execute(statement)

    async def deactivate(self, user_id: int) -> bool:
        """Deactivate a staff member; False if there was no active one with this id.

        Their assigned appeals stay assigned: release or reassign them separately.
        """
        statement = (
            update(StaffRow)
            .where(StaffRow.user_id == user_id, StaffRow.active)
            .values(active=False, updated_at=utcnow())
            .returning(StaffRow.user_id)
            .execution_options(synchronize_session=False)
        )
        return (await self._session.execute(statement)).first() is not None

    async def list_all(self) -> list[Staff]:
        """Return every staff member, active or not, by role, region and id."""
        statement = select(*_STAFF_COLUMNS).order_by(
            StaffRow.role, StaffRow.region.nulls_first(), StaffRow.user_id
        )
        return [_staff(row) for row in await self._session.execute(statement)]

    async def watching(self, queue: str) -> list[Staff]:
        """Return the active staff who see `queue` (dialogs.casework.Staff.sees), by id."""
        statement = select(*_STAFF_COLUMNS).where(StaffRow.active).order_by(StaffRow.user_id)
        staff = [_staff(row) for row in await self._session.execute(statement)]
        # The staff table has tens of rows: the domain's own rule decides, not a copy in SQL.
        return [member for member in staff if member.sees(queue)]


class CaseRepository:
    """Appeals as the staff work them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # --- Reading. ---

    async def get(self, appeal_id: int) -> CaseView | None:
        """Return the appeal as staff see it, or None."""
        return await self._one(AppealRow.id == appeal_id)

    async def by_number(self, number: str) -> CaseView | None:
        """Return the appeal with this number (e.g. "PAV-2026-000123"), or None."""
        return await self._one(AppealRow.number == number)

    async def lock(self, appeal_id: int) -> CaseView | None:
        """Lock the appeal until the transaction ends and return its current state.

        PostgreSQL: a row lock (SELECT ... FOR UPDATE). SQLite: the database's write lock.
        Either way no other transaction can change the appeal before this one ends, so a
        rule checked on what this returns still holds when the change is written.
        """
        if self._is_postgresql():
            statement = select(AppealRow.id).where(AppealRow.id == appeal_id).with_for_update()
            if await self._session.scalar(statement) is None:
                return None
        else:
            await self._sqlite_write_lock()
        return await self.get(appeal_id)

    async def thread(self, appeal_id: int) -> list[ThreadEntry]:
        """Return the appeal's events in the order they happened."""
        statement = (
            select(
                AppealEventRow.id,
                AppealEventRow.kind,
                AppealEventRow.author_staff_id,
                AppealEventRow.text,
                AppealEventRow.data,
                AppealEventRow.created_at,
            )
            .where(AppealEventRow.appeal_id == appeal_id)
            .order_by(AppealEventRow.id)
        )
        return [
            ThreadEntry(
                kind=EventKind(row.kind),
                author_staff_id=row.author_staff_id,
                text=row.text,
                data=row.data,
                created_at=row.created_at,
                id=row.id,
            )
            for row in await self._session.execute(statement)
        ]

    async def list_queue(
        self,
        queues: Sequence[str],
        *,
        view: str,
        staff_id: int,
        now: datetime,
        cursor: Cursor | None = None,
        limit: int = 10,
    ) -> tuple[list[CaseView], Cursor | None]:
        """Return a page of appeals, newest first, and the cursor of the next page (or None).

        Views: "new" (unassigned and open), "mine" (open and assigned to `staff_id`, in any
        queue: a case stays its worker's even if their region changed), "overdue" (open and
        past due_at), "urgent" (open and urgent), "all" (any status). Except for "mine", only
        appeals of `queues` are listed. Paging is by keyset on (created_at, id), so appeals
        arriving meanwhile neither shift nor repeat the later pages.
        """
        _require_aware(now, "now")
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        conditions: list[ColumnElement[bool]]
        if view == "mine":
            conditions = [AppealRow.assignee_id == staff_id, _is_open()]
        elif view == "new":
            conditions = [AppealRow.assignee_id.is_(None), _is_open()]
        elif view == "overdue":
            conditions = [AppealRow.due_at < now, _is_open()]
        elif view == "urgent":
            conditions = [AppealRow.urgent.is_(True), _is_open()]
        elif view == "all":
            conditions = []
        else:
            raise ValueError(f"unknown view {view!r}; expected one of {VIEWS}")
        if view != "mine":
            conditions.append(AppealRow.queue.in_(list(queues)))
        if cursor is not None:
            created_at, last_id = cursor
            _require_aware(created_at, "cursor")
            conditions.append(
                or_(
                    AppealRow.created_at < created_at,
                    and_(AppealRow.created_at == created_at, AppealRow.id < last_id),
                )
            )
        statement = (
            select(*_CASE_COLUMNS)
            .where(*conditions)
            .order_by(AppealRow.created_at.desc(), AppealRow.id.desc())
            .limit(limit + 1)
        )
        cases = [_case(row) for row in await self._session.execute(statement)]
        if len(cases) <= limit:
            return cases, None
        last = cases[limit - 1]
        return cases[:limit], (last.created_at, last.id)

    async def due_soon(self, before: datetime, *, limit: int = SWEEP_LIMIT) -> list[CaseView]:
        """Open appeals due by `before` whose deadline reminder has not gone out, by due date.

        At most `limit`, the earliest due first: a sweep marks them (`mark_reminded`) and the
        next sweep gets the rest.
        """
        _require_aware(before, "before")
        return await self._many(
            (AppealRow.due_at <= before, AppealRow.reminded_at.is_(None), _is_open()),
            order_by=(AppealRow.due_at, AppealRow.id),
            limit=limit,
        )

    async def overdue_unescalated(
        self, now: datetime, *, limit: int = SWEEP_LIMIT
    ) -> list[CaseView]:
        """Open appeals past their deadline not escalated yet: at most `limit`, by due date."""
        _require_aware(now, "now")
        return await self._many(
            (AppealRow.due_at < now, AppealRow.escalated_at.is_(None), _is_open()),
            order_by=(AppealRow.due_at, AppealRow.id),
            limit=limit,
        )

    async def by_iin(self, iin: str, *, limit: int = 50) -> list[CaseView]:
        """The appeals that gave this IIN, newest first, found by its blind index.

        Spaces and dashes in `iin` do not matter (storage.crypto.normalize_iin). Anonymised
        appeals have no index any more and are not found.
        """
        digest = current_keyring().blind_index(iin)
        if digest is None:
            return []
        return await self._many(
            (AppealRow.iin_digest == digest,),
            order_by=(AppealRow.created_at.desc(), AppealRow.id.desc()),
            limit=limit,
        )

    async def open_appeal_ids_for_user(self, user_id: int) -> list[int]:
        """Ids of the citizen's appeals that are not closed, oldest first.

        A withdrawn urgent appeal stays open (see `withdraw`), so it is listed.
        """
        statement = (
            select(AppealRow.id)
            .where(AppealRow.user_id == user_id, _is_open())
            .order_by(AppealRow.id)
        )
        return list(await self._session.scalars(statement))

    # --- Taking and handing back. ---

    async def take(self, appeal_id: int, staff_id: int, *, now: datetime) -> bool:
        """Assign an unassigned, open appeal to `staff_id`; False if it was not (any more).

        One conditional UPDATE: of any number of concurrent takers exactly one wins.
        """
        _require_aware(now, "now")
        won = await self._apply(
            appeal_id,
            (AppealRow.assignee_id.is_(None), AppealRow.status != AppealStatus.CLOSED.value),
            now=now,
            assignee_id=staff_id,
            status=AppealStatus.IN_PROGRESS.value,
        )
        if won:
            await self._event(appeal_id, EventKind.TAKEN, staff_id, now=now)
        return won

    async def take_next(
        self, queues: Sequence[str], staff_id: int, *, now: datetime
    ) -> CaseView | None:
        """Take the oldest unassigned open appeal of `queues`, urgent ones first; None if none.

        Concurrent callers get different appeals: on PostgreSQL each skips the rows the others
        have locked (FOR UPDATE SKIP LOCKED); on SQLite they take turns.
        """
        _require_aware(now, "now")
        if not queues:
            return None
        statement = (
            select(AppealRow.id)
            .where(
                AppealRow.queue.in_(list(queues)),
                AppealRow.assignee_id.is_(None),
                _is_open(),
            )
            .order_by(AppealRow.urgent.desc(), AppealRow.created_at, AppealRow.id)
            .limit(1)
        )
        postgresql = self._is_postgresql()
        if postgresql:
            statement = statement.with_for_update(skip_locked=True)
        for _ in range(TAKE_NEXT_ATTEMPTS):
            if not postgresql:
                await self._sqlite_write_lock()
            appeal_id = await self._session.scalar(statement)
            if appeal_id is None:
                return None
            if await self.take(appeal_id, staff_id, now=now):
                return await self.get(appeal_id)
        return None

    async def release(self, appeal_id: int, staff_id: int, *, now: datetime) -> CaseView | None:
        """Hand an assigned open appeal back to its queue (status new, no assignee).

        `staff_id` is who released it; the event's data names the former assignee. None if
        the appeal is missing, closed or unassigned.
        """
        _require_aware(now, "now")
        current = await self.lock(appeal_id)
        if current is None or current.status is AppealStatus.CLOSED:
            return None
        if current.assignee_id is None:
            return None
        changed = await self._apply(
            appeal_id,
            (AppealRow.assignee_id == current.assignee_id, _is_open()),
            now=now,
            assignee_id=None,
            status=AppealStatus.NEW.value,
        )
        if not changed:
            return None
        await self._event(
            appeal_id,
            EventKind.RELEASED,
            staff_id,
            data={"assignee": current.assignee_id},
            now=now,
        )
        return await self.get(appeal_id)

    async def reassign(
        self, appeal_id: int, queue: str, staff_id: int, *, now: datetime
    ) -> CaseView | None:
        """Move an open appeal to `queue`, unassigned and new; None if missing or closed."""
        _require_aware(now, "now")
        require_queue(queue)
        current = await self.lock(appeal_id)
        if current is None or current.status is AppealStatus.CLOSED:
            return None
        changed = await self._apply(
            appeal_id,
            (AppealRow.queue == current.queue, _is_open()),
            now=now,
            queue=queue,
            assignee_id=None,
            status=AppealStatus.NEW.value,
        )
        if not changed:
            return None
        await self._event(
            appeal_id,
            EventKind.REASSIGNED,
            staff_id,
            data={"from": current.queue, "to": queue},
            now=now,
        )
        return await self.get(appeal_id)

    # --- Working and closing. ---

    async def forward(
        self, appeal_id: int, staff_id: int, body: str, *, now: datetime
    ) -> CaseView | None:
        """Record that the appeal was sent on to `body`; None if missing or closed.

        The status does not change: the appeal stays open until it is closed (typically with
        the outcome "forwarded").
        """
        _require_aware(now, "now")
        if not body.strip():
            raise ValueError("the body forwarded to must not be empty")
        current = await self.lock(appeal_id)
        if current is None or current.status is AppealStatus.CLOSED:
            return None
        changed = await self._apply(
            appeal_id, (_is_open(),), now=now, forwarded_to=body, forwarded_at=now
        )
        if not changed:
            return None
        await self._event(appeal_id, EventKind.FORWARDED, staff_id, data={"body": body}, now=now)
        return await self.get(appeal_id)

    async def close(
        self,
        appeal_id: int,
        staff_id: int,
        outcome: Outcome,
        message: str | None,
        *,
        now: datetime,
    ) -> CaseView | None:
        """Close the appeal with `outcome`; `message` is what the citizen is told.

        None if the appeal is missing or already closed. The assignee stays on record.
        """
        _require_aware(now, "now")
        outcome = Outcome(outcome)
        current = await self.lock(appeal_id)
        if current is None or current.status is AppealStatus.CLOSED:
            return None
        changed = await self._apply(
            appeal_id,
            (_is_open(),),
            now=now,
            status=AppealStatus.CLOSED.value,
            outcome=outcome.value,
            closed_at=now,
        )
        if not changed:
            return None
        await self._event(
            appeal_id,
            EventKind.CLOSED,
            staff_id,
            text=message,
            data={"outcome": outcome.value},
            now=now,
        )
        return await self.get(appeal_id)

    async def withdraw(self, appeal_id: int, user_id: int, *, now: datetime) -> bool:
        """The citizen `user_id` withdraws their open appeal; return whether it was closed.

        A non-urgent appeal is closed without an outcome. An urgent one only gets marked
        withdrawn and stays open: a life or liberty may be at stake, so the staff decide.
        Nothing happens (False, no event) if the appeal is not this citizen's, is closed or
        was already withdrawn; `get` tells these cases apart.
        """
        _require_aware(now, "now")
        closed_status = AppealStatus.CLOSED.value
        statement = (
            update(AppealRow)
            .where(
                AppealRow.id == appeal_id,
                AppealRow.user_id == user_id,
                AppealRow.withdrawn.is_(False),
                _is_open(),
            )
            .values(
                withdrawn=True,
                status=case((AppealRow.urgent, AppealRow.status), else_=closed_status),
                closed_at=case(
                    (AppealRow.urgent, AppealRow.closed_at), else_=literal(now, UtcDateTime())
                ),
                version=AppealRow.version + 1,
                updated_at=now,
            )
            .returning(AppealRow.status)
            .execution_options(synchronize_session=False)
        )
        status = (await self._session.execute(statement)).scalar_one_or_none()
        if status is None:
            return False
        closed = status == closed_status
        await self._event(appeal_id, EventKind.WITHDRAWN, None, data={"closed": closed}, now=now)
        return closed

    async def add_event(
        self,
        appeal_id: int,
        kind: EventKind,
        *,
        author_staff_id: int | None,
        text: str | None = None,
        data: dict[str, Any] | None = None,
        now: datetime,
    ) -> int:
        """Append an event (a question, an answer, a note...) to the thread; return its id.

        Storage does not judge who may write what: that is dialogs.casework's. Raises
        LookupError if there is no such appeal.
        """
        _require_aware(now, "now")
        kind = EventKind(kind)
        if not await self._apply(appeal_id, (), now=now):
            raise LookupError(f"no appeal with id {appeal_id}")
        return await self._event(appeal_id, kind, author_staff_id, text=text, data=data, now=now)

    # --- Deadlines (driven from the database, so a restart loses no reminder). ---

    async def mark_reminded(self, appeal_id: int, now: datetime) -> bool:
        """Record that the deadline reminder went out; False if it already had."""
        _require_aware(now, "now")
        return await self._apply(
            appeal_id, (AppealRow.reminded_at.is_(None),), now=now, reminded_at=now
        )

    async def mark_escalated(self, appeal_id: int, now: datetime) -> bool:
        """Record the overdue escalation (with an ESCALATED event); False if it already was."""
        _require_aware(now, "now")
        changed = await self._apply(
            appeal_id, (AppealRow.escalated_at.is_(None),), now=now, escalated_at=now
        )
        if changed:
            await self._event(appeal_id, EventKind.ESCALATED, None, now=now)
        return changed

    # --- Helpers. ---

    def _is_postgresql(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    async def _sqlite_write_lock(self) -> None:
        # An UPDATE takes SQLite's write lock when it starts, even if it changes no row. It is
        # held until the transaction ends.
        statement = (
            update(AppealRow)
            .where(false())
            .values(version=AppealRow.version)
            .execution_options(synchronize_session=False)
        )
        await self._session.execute(statement)

    async def _one(self, condition: ColumnElement[bool]) -> CaseView | None:
        row = (await self._session.execute(select(*_CASE_COLUMNS).where(condition))).first()
        return None if row is None else _case(row)

    async def _many(
        self,
        conditions: Sequence[ColumnElement[bool]],
        *,
        order_by: Sequence[Any],
        limit: int,
    ) -> list[CaseView]:
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        statement = select(*_CASE_COLUMNS).where(*conditions).order_by(*order_by).limit(limit)
        return [_case(row) for row in await self._session.execute(statement)]

    async def _apply(
        self,
        appeal_id: int,
        conditions: Sequence[ColumnElement[bool]],
        *,
        now: datetime,
        **values: Any,
    ) -> bool:
        """Change the appeal if `conditions` hold, bumping its version; tell whether it did."""
        statement = (
            update(AppealRow)
            .where(AppealRow.id == appeal_id, *conditions)
            .values(version=AppealRow.version + 1, updated_at=now, **values)
            .returning(AppealRow.id)
            .execution_options(synchronize_session=False)
        )
        return (await self._session.execute(statement)).first() is not None

    async def record_view(self, appeal_id: int, staff_id: int, *, now: datetime) -> None:
        """Audit a staff member's look at an appeal. Not a change: the version stays."""
        _require_aware(now, "now")
        await self._event(appeal_id, EventKind.VIEWED, staff_id, now=now)

    async def _event(
        self,
        appeal_id: int,
        kind: EventKind,
        author_staff_id: int | None,
        *,
        text: str | None = None,
        data: dict[str, Any] | None = None,
        now: datetime,
    ) -> int:
        row = AppealEventRow(
            appeal_id=appeal_id,
            kind=kind.value,
            author_staff_id=author_staff_id,
            text=text,
            data=data,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id


def _is_open() -> ColumnElement[bool]:
    # An IN list rather than "!= 'closed'": it can use the indexes that lead with status.
    return AppealRow.status.in_(OPEN_STATUSES)


_STAFF_COLUMNS = (
    StaffRow.user_id,
    StaffRow.role,
    StaffRow.region,
    StaffRow.name,
    StaffRow.active,
)


def _staff(row: Row[Any]) -> Staff:
    return Staff(
        user_id=row.user_id,
        role=Role(row.role),
        region=None if row.region is None else Region(row.region),
        name=row.name,
        active=row.active,
    )


_ATTACHMENT_COUNT = (
    select(func.count(AttachmentRow.id))
    .where(AttachmentRow.appeal_id == AppealRow.id)
    .correlate(AppealRow)
    .scalar_subquery()
)

_CASE_COLUMNS = (
    AppealRow.id,
    AppealRow.number,
    AppealRow.status,
    AppealRow.queue,
    AppealRow.category,
    AppealRow.urgent,
    AppealRow.region,
    AppealRow.filer_type,
    AppealRow.subject_name,
    AppealRow.institution,
    # The story is encrypted, so the database cannot cut the excerpt: _case does.
    AppealRow.story,
    _ATTACHMENT_COUNT.label("attachments"),
    AppealRow.created_at,
    AppealRow.due_at,
    AppealRow.assignee_id,
    AppealRow.outcome,
    AppealRow.old_complaint,
    AppealRow.language,
    AppealRow.chat_id,
    AppealRow.version,
    AppealRow.withdrawn,
    AppealRow.forwarded_to,
)


def _case(row: Row[Any]) -> CaseView:
    return CaseView(
        id=row.id,
        number=row.number,
        status=AppealStatus(row.status),
        queue=row.queue,
        category=Category(row.category),
        urgent=row.urgent,
        region=Region(row.region),
        filer_type=FilerType(row.filer_type),
        subject_name=row.subject_name,
        institution=row.institution,
        story_excerpt=row.story[:EXCERPT_LENGTH],
        attachments=row.attachments,
        created_at=row.created_at,
        due_at=row.due_at,
        assignee_id=row.assignee_id,
        outcome=None if row.outcome is None else Outcome(row.outcome),
        old_complaint=row.old_complaint,
        language=row.language,
        chat_id=row.chat_id,
        version=row.version,
        withdrawn=row.withdrawn,
        forwarded_to=row.forwarded_to,
    )
