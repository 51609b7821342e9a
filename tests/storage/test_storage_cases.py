"""Casework: queues, taking and handing back, closing, withdrawal, threads and deadlines."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.appeal import Attachment, NewAppeal
from dialogs.casework import CaseView, EventKind
from dialogs.routing import CENTRAL, TRIAGE, queue_of_region
from dialogs.vocabulary import (
    AppealStatus,
    AttachmentKind,
    Category,
    DetentionKind,
    FilerType,
    Outcome,
    Region,
)
from storage.casework import CaseRepository, ThreadEntry
from storage.db import create_engine, create_session_pool
from storage.models import AppealEventRow, AppealRow
from storage.repositories import AppealRepository
from tests.storage.builders import Transaction, labour_appeal

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PAVLODAR = queue_of_region(Region.PAVLODAR)
ASTANA = queue_of_region(Region.ASTANA)
REP, OTHER_REP, LEAD = 10, 11, 20


def make_appeal(**changes: Any) -> NewAppeal:
    return labour_appeal(now=NOW, **changes)


async def submit(
    transaction: Transaction,
    appeal: NewAppeal | None = None,
    *,
    now: datetime = NOW,
    queue: str = PAVLODAR,
    due_at: datetime | None = None,
) -> int:
    """Store an appeal as the bot does and return its id."""
    async with transaction() as session:
        number = await AppealRepository(session).create(
            appeal or make_appeal(), now=now, queue=queue, due_at=due_at
        )
        case = await CaseRepository(session).by_number(number)
    assert case is not None
    return case.id


async def get(transaction: Transaction, appeal_id: int) -> CaseView:
    async with transaction() as session:
        case = await CaseRepository(session).get(appeal_id)
    assert case is not None
    return case


async def kinds(transaction: Transaction, appeal_id: int) -> list[EventKind]:
    async with transaction() as session:
        return [entry.kind for entry in await CaseRepository(session).thread(appeal_id)]


@asynccontextmanager
async def own_connection(url: str) -> AsyncIterator[AsyncSession]:
    """A session in a transaction on a connection of its own engine, as another process has."""
    engine = create_engine(url)
    try:
        async with create_session_pool(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


# --- Creating and reading. ---


async def test_create_sets_queue_due_date_and_a_submitted_event(
    transaction: Transaction,
) -> None:
    due = NOW + timedelta(days=20)
    story = "Начало. " + "ы" * 400  # Cyrillic: the excerpt counts characters, not bytes
    appeal = make_appeal(
        filer_type=FilerType.CUSTODY,
        category=Category.CONVICTS_RIGHTS,
        region=Region.ASTANA,
        institution_region=Region.PAVLODAR,
        institution="ИК-1",
        detention_kind=DetentionKind.COLONY,
        subject_name="Ерлан",
        urgent=True,
        old_complaint=True,
        language="kk",
        chat_id=-1_001_234_567_890,
        story=story,
        attachments=(
            Attachment(AttachmentKind.PHOTO, "f1", "u1"),
            Attachment(AttachmentKind.VOICE, "f2", "u2"),
        ),
    )
    appeal_id = await submit(transaction, appeal, queue=PAVLODAR, due_at=due)
    async with transaction() as session:
        cases = CaseRepository(session)
        case = await cases.get(appeal_id)
        assert case is not None
        assert case == CaseView(
            id=appeal_id,
            number="PAV-2026-000001",
            status=AppealStatus.NEW,
            queue=PAVLODAR,
            category=Category.CONVICTS_RIGHTS,
            urgent=True,
            region=Region.ASTANA,
            filer_type=FilerType.CUSTODY,
            subject_name="Ерлан",
            institution="ИК-1",
            story_excerpt=story[:300],
            attachments=2,
            created_at=NOW,
            due_at=due,
            assignee_id=None,
            outcome=None,
            old_complaint=True,
            language="kk",
            chat_id=-1_001_234_567_890,
            version=1,
            withdrawn=False,
            forwarded_to=None,
        )
        assert len(case.story_excerpt) == 300
        assert case.due_at is not None
        assert case.due_at.tzinfo is UTC
        assert await cases.by_number("PAV-2026-000001") == case
        assert await cases.by_number("PAV-2026-999999") is None
        assert await cases.get(appeal_id + 1000) is None
        thread = await cases.thread(appeal_id)
        assert thread == [
            ThreadEntry(
                kind=EventKind.SUBMITTED,
                author_staff_id=None,
                text=None,
                data={"queue": PAVLODAR},
                created_at=NOW,
                id=thread[0].id,
            )
        ]


async def test_create_defaults_to_triage_without_a_deadline(transaction: Transaction) -> None:
    async with transaction() as session:
        number = await AppealRepository(session).create(make_appeal(), now=NOW)
        case = await CaseRepository(session).by_number(number)
    assert case is not None
    assert (case.queue, case.due_at, case.attachments) == (TRIAGE, None, 0)


async def test_create_refuses_unknown_queues_and_naive_deadlines(
    transaction: Transaction,
) -> None:
    async with transaction() as session:
        appeals = AppealRepository(session)
        with pytest.raises(ValueError, match="queue"):
            await appeals.create(make_appeal(), now=NOW, queue="region:atlantis")
        with pytest.raises(ValueError, match="timezone-aware"):
            await appeals.create(make_appeal(), now=NOW, due_at=datetime(2026, 4, 1))


async def test_attachments_of_an_appeal_in_order(transaction: Transaction) -> None:
    photo = Attachment(AttachmentKind.PHOTO, "f1", "u1", "image/jpeg", 3_000_000_000)
    voice = Attachment(AttachmentKind.VOICE, "f2", "u2", "audio/ogg", 4_096)
    appeal_id = await submit(transaction, make_appeal(attachments=(photo, voice, photo)))
    bare = await submit(transaction)
    async with transaction() as session:
        appeals = AppealRepository(session)
        assert await appeals.attachments(appeal_id) == [photo, voice]
        assert await appeals.attachments(bare) == []


async def test_list_for_user_fills_the_id(transaction: Transaction) -> None:
    appeal_id = await submit(transaction)
    async with transaction() as session:
        [summary] = await AppealRepository(session).list_for_user(1)
    assert summary.id == appeal_id


# --- Taking. ---


async def test_take_assigns_once(transaction: Transaction) -> None:
    appeal_id = await submit(transaction)
    later = NOW + timedelta(hours=1)
    async with transaction() as session:
        cases = CaseRepository(session)
        assert await cases.take(appeal_id, REP, now=later) is True
        assert await cases.take(appeal_id, OTHER_REP, now=later) is False
        assert await cases.take(appeal_id, REP, now=later) is False
        assert await cases.take(appeal_id + 1000, REP, now=later) is False
    case = await get(transaction, appeal_id)
    assert (case.status, case.assignee_id, case.version) == (
        AppealStatus.IN_PROGRESS,
        REP,
        2,
    )
    async with transaction() as session:
        thread = await CaseRepository(session).thread(appeal_id)
        updated_at = await session.scalar(
            select(AppealRow.updated_at).where(AppealRow.id == appeal_id)
        )
    assert [(e.kind, e.author_staff_id, e.created_at) for e in thread] == [
        (EventKind.SUBMITTED, None, NOW),
        (EventKind.TAKEN, REP, later),
    ]
    assert updated_at == later


async def test_a_closed_appeal_cannot_be_taken(transaction: Transaction) -> None:
    appeal_id = await submit(transaction)
    async with transaction() as session:
        cases = CaseRepository(session)
        assert await cases.take(appeal_id, REP, now=NOW)
        assert await cases.release(appeal_id, REP, now=NOW) is not None
        # Closed while unassigned (an admin may do that): nobody can take it any more.
        assert await cases.close(appeal_id, LEAD, Outcome.EXPLAINED, None, now=NOW)
        assert await cases.take(appeal_id, OTHER_REP, now=NOW) is False


async def test_twenty_concurrent_takers_exactly_one_wins(database_url: str) -> None:
    """Twenty staff press "Take" at once, each on a connection of their own."""
    async with own_connection(database_url) as session:
        number = await AppealRepository(session).create(make_appeal(), now=NOW, queue=PAVLODAR)
    async with own_connection(database_url) as session:
        case = await CaseRepository(session).by_number(number)
    assert case is not None
    takers = 20
    ready = asyncio.Barrier(takers)

    async def take(staff_id: int) -> bool:
        async with own_connection(database_url) as session:
            await session.execute(text("SELECT 1"))  # connected: now all start together
            await ready.wait()
            return await CaseRepository(session).take(case.id, staff_id, now=NOW)

    results = await asyncio.gather(*(take(100 + i) for i in range(takers)))
    assert results.count(True) == 1
    winner = 100 + results.index(True)
    async with own_connection(database_url) as session:
        fresh = await CaseRepository(session).get(case.id)
        taken = await session.scalar(
            select(func.count())
            .select_from(AppealEventRow)
            .where(AppealEventRow.kind == EventKind.TAKEN.value)
        )
    assert fresh is not None
    assert (fresh.assignee_id, fresh.version, taken) == (winner, 2, 1)


async def test_take_next_takes_urgent_then_oldest_of_the_given_queues(
    transaction: Transaction,
) -> None:
    old = await submit(transaction, now=NOW)
    newer = await submit(transaction, now=NOW + timedelta(hours=1))
    urgent = await submit(transaction, make_appeal(urgent=True), now=NOW + timedelta(hours=2))
    await submit(transaction, now=NOW - timedelta(days=1), queue=ASTANA)  # another queue
    closed = await submit(transaction, now=NOW - timedelta(days=2))
    async with transaction() as session:
        await CaseRepository(session).close(closed, LEAD, Outcome.EXPLAINED, None, now=NOW)
    taken = []
    async with transaction() as session:
        cases = CaseRepository(session)
        while (case := await cases.take_next([PAVLODAR, CENTRAL], REP, now=NOW)) is not None:
            assert (case.assignee_id, case.status) == (REP, AppealStatus.IN_PROGRESS)
            taken.append(case.id)
        assert await cases.take_next([], REP, now=NOW) is None
    assert taken == [urgent, old, newer]


async def test_concurrent_take_next_workers_share_the_queue(database_url: str) -> None:
    """A few workers on both backends: SQLite serialises them, PostgreSQL skips locks."""
    ids = []
    async with own_connection(database_url) as session:
        for i in range(20):
            number = await AppealRepository(session).create(
                make_appeal(user_id=1 + i % 3), now=NOW + timedelta(minutes=i), queue=PAVLODAR
            )
            case = await CaseRepository(session).by_number(number)
            assert case is not None
            ids.append(case.id)
    taken = await _run_workers(database_url, workers=4, queues=[PAVLODAR])
    all_taken = [appeal_id for mine in taken.values() for appeal_id in mine]
    assert sorted(all_taken) == sorted(ids)
    await _check_taken_once(database_url, taken)


async def test_ten_workers_take_a_hundred_appeals_exactly_once(
    database_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite lets one writer at a time")
    ids = []
    async with own_connection(database_url) as session:
        appeals = AppealRepository(session)
        for i in range(100):
            queue = PAVLODAR if i % 2 else ASTANA
            region = Region.PAVLODAR if i % 2 else Region.ASTANA
            number = await appeals.create(
                make_appeal(user_id=1 + i % 9, region=region, urgent=i % 10 == 0),
                now=NOW + timedelta(seconds=i),
                queue=queue,
            )
            case = await CaseRepository(session).by_number(number)
            assert case is not None
            ids.append(case.id)
    taken = await _run_workers(database_url, workers=10, queues=[PAVLODAR, ASTANA])
    all_taken = [appeal_id for mine in taken.values() for appeal_id in mine]
    assert len(all_taken) == 100  # no duplicates...
    assert set(all_taken) == set(ids)  # ...and none lost
    assert sum(1 for mine in taken.values() if mine) > 1  # they did work side by side
    await _check_taken_once(database_url, taken)


async def _run_workers(url: str, *, workers: int, queues: list[str]) -> dict[int, list[int]]:
    """Each worker takes the next appeal, one transaction each, until the queues are empty."""
    taken: dict[int, list[int]] = {}
    ready = asyncio.Barrier(workers)

    async def work(staff_id: int) -> None:
        mine = taken.setdefault(staff_id, [])
        engine = create_engine(url)
        try:
            pool = create_session_pool(engine)
            async with pool() as session:
                await session.execute(text("SELECT 1"))
            await ready.wait()
            while True:
                async with pool() as session, session.begin():
                    case = await CaseRepository(session).take_next(queues, staff_id, now=NOW)
                if case is None:
                    return
                assert case.assignee_id == staff_id
                mine.append(case.id)
                await asyncio.sleep(0)
        finally:
            await engine.dispose()

    await asyncio.gather(*(work(1000 + i) for i in range(workers)))
    return taken


async def _check_taken_once(url: str, taken: dict[int, list[int]]) -> None:
    async with own_connection(url) as session:
        assignees = {
            row.id: row.assignee_id
            for row in await session.execute(select(AppealRow.id, AppealRow.assignee_id))
        }
        events = Counter(
            await session.scalars(
                select(AppealEventRow.appeal_id).where(
                    AppealEventRow.kind == EventKind.TAKEN.value
                )
            )
        )
    assert assignees == {
        appeal_id: staff_id for staff_id, mine in taken.items() for appeal_id in mine
    }
    assert set(events.values()) == {1}
    assert set(events) == set(assignees)


async def test_lock_holds_off_a_concurrent_change_until_commit(database_url: str) -> None:
    async with own_connection(database_url) as session:
        number = await AppealRepository(session).create(make_appeal(), now=NOW, queue=PAVLODAR)
        case = await CaseRepository(session).by_number(number)
    assert case is not None
    locked = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with own_connection(database_url) as session:
            cases = CaseRepository(session)
            seen = await cases.lock(case.id)
            assert seen is not None
            assert seen.assignee_id is None
            locked.set()
            await release.wait()
            # Decided on what lock() returned: nobody could have taken it meanwhile.
            assert await cases.take(case.id, REP, now=NOW) is True

    async def second() -> bool:
        await locked.wait()
        async with own_connection(database_url) as session:
            return await CaseRepository(session).take(case.id, OTHER_REP, now=NOW)

    holder = asyncio.create_task(first())
    contender = asyncio.create_task(second())
    await locked.wait()
    await asyncio.sleep(0.5)
    assert not contender.done()  # waiting for the lock
    release.set()
    await holder
    assert await contender is False
    async with own_connection(database_url) as session:
        assert await CaseRepository(session).lock(case.id + 1000) is None


# --- Handing back, moving, working and closing. ---


async def test_a_case_through_its_life(transaction: Transaction) -> None:
    appeal_id = await submit(transaction)
    t = [NOW + timedelta(minutes=i) for i in range(10)]
    async with transaction() as session:
        cases = CaseRepository(session)
        assert await cases.take(appeal_id, REP, now=t[1])

        released = await cases.release(appeal_id, REP, now=t[2])
        assert released is not None
        assert (released.status, released.assignee_id, released.version) == (
            AppealStatus.NEW,
            None,
            3,
        )
        assert await cases.release(appeal_id, REP, now=t[2]) is None  # nobody to release

        assert await cases.take(appeal_id, OTHER_REP, now=t[3])
        moved = await cases.reassign(appeal_id, CENTRAL, LEAD, now=t[4])
        assert moved is not None
        assert (moved.queue, moved.status, moved.assignee_id, moved.version) == (
            CENTRAL,
            AppealStatus.NEW,
            None,
            5,
        )

        assert await cases.take(appeal_id, LEAD, now=t[5])
        question = await cases.add_event(
            appeal_id, EventKind.QUESTION, author_staff_id=LEAD, text="Номер договора?", now=t[6]
        )
        assert isinstance(question, int)

        forwarded = await cases.forward(appeal_id, LEAD, "Прокуратура области", now=t[7])
        assert forwarded is not None
        assert (forwarded.status, forwarded.forwarded_to, forwarded.version) == (
            AppealStatus.IN_PROGRESS,
            "Прокуратура области",
            8,
        )

        closed = await cases.close(
            appeal_id, LEAD, Outcome.FORWARDED, "Передано в прокуратуру", now=t[8]
        )
        assert closed is not None
        assert (closed.status, closed.outcome, closed.assignee_id, closed.version) == (
            AppealStatus.CLOSED,
            Outcome.FORWARDED,
            LEAD,
            9,
        )

        # A closed appeal stays as it is.
        assert await cases.close(appeal_id, LEAD, Outcome.SATISFIED, None, now=t[9]) is None
        assert await cases.release(appeal_id, LEAD, now=t[9]) is None
        assert await cases.reassign(appeal_id, PAVLODAR, LEAD, now=t[9]) is None
        assert await cases.forward(appeal_id, LEAD, "Суд", now=t[9]) is None
        # ...but may still get an internal note.
        await cases.add_event(
            appeal_id, EventKind.NOTE, author_staff_id=LEAD, text="Архив", now=t[9]
        )

        thread = await cases.thread(appeal_id)
        row = (
            await session.execute(
                select(
                    AppealRow.closed_at,
                    AppealRow.forwarded_at,
                    AppealRow.updated_at,
                    AppealRow.version,
                ).where(AppealRow.id == appeal_id)
            )
        ).one()

    assert [(e.kind, e.author_staff_id, e.text, e.data, e.created_at) for e in thread] == [
        (EventKind.SUBMITTED, None, None, {"queue": PAVLODAR}, NOW),
        (EventKind.TAKEN, REP, None, None, t[1]),
        (EventKind.RELEASED, REP, None, {"assignee": REP}, t[2]),
        (EventKind.TAKEN, OTHER_REP, None, None, t[3]),
        (EventKind.REASSIGNED, LEAD, None, {"from": PAVLODAR, "to": CENTRAL}, t[4]),
        (EventKind.TAKEN, LEAD, None, None, t[5]),
        (EventKind.QUESTION, LEAD, "Номер договора?", None, t[6]),
        (EventKind.FORWARDED, LEAD, None, {"body": "Прокуратура области"}, t[7]),
        (EventKind.CLOSED, LEAD, "Передано в прокуратуру", {"outcome": "forwarded"}, t[8]),
        (EventKind.NOTE, LEAD, "Архив", None, t[9]),
    ]
    assert thread[6].id == question
    assert [e.id for e in thread] == sorted(e.id for e in thread)
    assert (row.closed_at, row.forwarded_at, row.updated_at, row.version) == (t[8], t[7], t[9], 10)


async def test_an_admin_may_release_someone_elses_case(transaction: Transaction) -> None:
    # Storage records who did it; whether they may is dialogs.casework.refusal's call.
    appeal_id = await submit(transaction)
    async with transaction() as session:
        cases = CaseRepository(session)
        await cases.take(appeal_id, REP, now=NOW)
        released = await cases.release(appeal_id, LEAD, now=NOW)
        assert released is not None
        assert released.assignee_id is None
        last = (await cases.thread(appeal_id))[-1]
    assert (last.kind, last.author_staff_id, last.data) == (
        EventKind.RELEASED,
        LEAD,
        {"assignee": REP},
    )


async def test_refusals_of_bad_input(transaction: Transaction) -> None:
    appeal_id = await submit(transaction)
    async with transaction() as session:
        cases = CaseRepository(session)
        with pytest.raises(ValueError, match="queue"):
            await cases.reassign(appeal_id, "region:nowhere", LEAD, now=NOW)
        with pytest.raises(ValueError, match="empty"):
            await cases.forward(appeal_id, LEAD, "  ", now=NOW)
        with pytest.raises(LookupError):
            await cases.add_event(
                appeal_id + 1000, EventKind.NOTE, author_staff_id=LEAD, text="?", now=NOW
            )
        with pytest.raises(ValueError, match="timezone-aware"):
            await cases.take(appeal_id, REP, now=datetime(2026, 3, 2))
        assert await cases.reassign(appeal_id + 1000, CENTRAL, LEAD, now=NOW) is None
        assert await cases.close(appeal_id + 1000, LEAD, Outcome.EXPLAINED, None, now=NOW) is None
    assert (await get(transaction, appeal_id)).version == 1


async def test_mutations_do_not_commit(transaction: Transaction, session_pool: Any) -> None:
    appeal_id = await submit(transaction)
    async with session_pool() as session:
        await CaseRepository(session).take(appeal_id, REP, now=NOW)
        await session.rollback()
    case = await get(transaction, appeal_id)
    assert (case.assignee_id, case.version) == (None, 1)
    assert await kinds(transaction, appeal_id) == [EventKind.SUBMITTED]


# --- Withdrawal. ---


async def test_withdrawing_a_non_urgent_appeal_closes_it_without_an_outcome(
    transaction: Transaction,
) -> None:
    appeal_id = await submit(transaction)
    later = NOW + timedelta(days=1)
    async with transaction() as session:
        cases = CaseRepository(session)
        assert await cases.withdraw(appeal_id, user_id=2, now=later) is False  # not theirs
        assert await cases.withdraw(appeal_id, user_id=1, now=later) is True
        assert await cases.withdraw(appeal_id, user_id=1, now=later) is False  # once
        closed_at = await session.scalar(
            select(AppealRow.closed_at).where(AppealRow.id == appeal_id)
        )
        last = (await cases.thread(appeal_id))[-1]
    case = await get(transaction, appeal_id)
    assert (case.status, case.outcome, case.withdrawn, case.version) == (
        AppealStatus.CLOSED,
        None,
        True,
        2,
    )
    assert closed_at == later
    assert await kinds(transaction, appeal_id) == [EventKind.SUBMITTED, EventKind.WITHDRAWN]
    assert (last.author_staff_id, last.data) == (None, {"closed": True})


async def test_withdrawing_an_urgent_appeal_leaves_it_open_for_the_staff(
    transaction: Transaction,
) -> None:
    appeal_id = await submit(transaction, make_appeal(urgent=True))
    async with transaction() as session:
        cases = CaseRepository(session)
        await cases.take(appeal_id, REP, now=NOW)
        assert await cases.withdraw(appeal_id, user_id=1, now=NOW) is False
        assert await cases.open_appeal_ids_for_user(1) == [appeal_id]
        closed_at = await session.scalar(
            select(AppealRow.closed_at).where(AppealRow.id == appeal_id)
        )
    case = await get(transaction, appeal_id)
    assert (case.status, case.assignee_id, case.withdrawn, case.version, closed_at) == (
        AppealStatus.IN_PROGRESS,
        REP,
        True,
        3,
        None,
    )
    assert await kinds(transaction, appeal_id) == [
        EventKind.SUBMITTED,
        EventKind.TAKEN,
        EventKind.WITHDRAWN,
    ]
    async with transaction() as session:
        cases = CaseRepository(session)
        assert await cases.withdraw(appeal_id, user_id=1, now=NOW) is False  # once
        assert await cases.close(appeal_id, REP, Outcome.EXPLAINED, "Ок", now=NOW) is not None
        assert await cases.open_appeal_ids_for_user(1) == []


async def test_open_appeal_ids_for_user(transaction: Transaction) -> None:
    first = await submit(transaction)
    second = await submit(transaction, now=NOW + timedelta(hours=1))
    closed = await submit(transaction)
    await submit(transaction, make_appeal(user_id=2))
    async with transaction() as session:
        cases = CaseRepository(session)
        await cases.take(second, REP, now=NOW)
        await cases.close(closed, LEAD, Outcome.SATISFIED, None, now=NOW)
        assert await cases.open_appeal_ids_for_user(1) == [first, second]
        assert await cases.open_appeal_ids_for_user(3) == []


# --- Listing. ---


async def test_list_queue_views(transaction: Transaction) -> None:
    at = [NOW + timedelta(hours=i) for i in range(10)]
    due_past, due_future = NOW + timedelta(days=1), NOW + timedelta(days=30)
    new_old = await submit(transaction, now=at[0], due_at=due_past)
    new_urgent = await submit(transaction, make_appeal(urgent=True), now=at[1], due_at=due_future)
    mine = await submit(transaction, now=at[2], due_at=due_past)
    theirs = await submit(transaction, make_appeal(urgent=True), now=at[3], due_at=due_past)
    closed = await submit(transaction, make_appeal(urgent=True), now=at[4], due_at=due_past)
    astana_new = await submit(transaction, now=at[5], queue=ASTANA)
    mine_in_astana = await submit(transaction, now=at[6], queue=ASTANA)
    async with transaction() as session:
        cases = CaseRepository(session)
        assert await cases.take(mine, REP, now=NOW)
        assert await cases.take(theirs, OTHER_REP, now=NOW)
        assert await cases.take(mine_in_astana, REP, now=NOW)
        assert await cases.close(closed, LEAD, Outcome.EXPLAINED, None, now=NOW)

    later = NOW + timedelta(days=2)

    async def ids(queues: list[str], view: str) -> list[int]:
        async with transaction() as session:
            page, cursor = await CaseRepository(session).list_queue(
                queues, view=view, staff_id=REP, now=later
            )
        assert cursor is None
        return [case.id for case in page]

    assert await ids([PAVLODAR], "new") == [new_urgent, new_old]
    assert await ids([PAVLODAR, ASTANA], "new") == [astana_new, new_urgent, new_old]
    assert await ids([PAVLODAR], "mine") == [mine_in_astana, mine]  # wherever they are
    assert await ids([PAVLODAR], "overdue") == [theirs, mine, new_old]
    assert await ids([PAVLODAR], "urgent") == [theirs, new_urgent]
    assert await ids([PAVLODAR], "all") == [closed, theirs, mine, new_urgent, new_old]
    assert await ids([ASTANA, PAVLODAR], "all") == [
        mine_in_astana,
        astana_new,
        closed,
        theirs,
        mine,
        new_urgent,
        new_old,
    ]
    assert await ids([CENTRAL], "all") == []
    assert await ids([], "all") == []
    async with transaction() as session:
        with pytest.raises(ValueError, match="view"):
            await CaseRepository(session).list_queue(
                [PAVLODAR], view="everything", staff_id=REP, now=NOW
            )


async def test_list_queue_pages_by_keyset(transaction: Transaction) -> None:
    # Three appeals share each second, so the id breaks ties.
    for i in range(25):
        await submit(
            transaction, make_appeal(user_id=1 + i % 4), now=NOW + timedelta(seconds=i // 3)
        )
    await submit(transaction, now=NOW, queue=ASTANA)  # not listed
    async with transaction() as session:
        expected = list(
            (
                await session.scalars(
                    select(AppealRow.id)
                    .where(AppealRow.queue == PAVLODAR)
                    .order_by(AppealRow.created_at.desc(), AppealRow.id.desc())
                )
            ).all()
        )
    assert len(expected) == 25
    pages: list[list[int]] = []
    cursor = None
    while True:
        async with transaction() as session:
            page, cursor = await CaseRepository(session).list_queue(
                [PAVLODAR], view="all", staff_id=REP, now=NOW, cursor=cursor, limit=10
            )
        pages.append([case.id for case in page])
        if cursor is None:
            break
        assert cursor == (page[-1].created_at, page[-1].id)
        # An appeal arriving meanwhile does not shift the next page.
        await submit(transaction, now=NOW + timedelta(days=1))
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [appeal_id for page in pages for appeal_id in page] == expected


# --- Deadlines. ---


async def test_reminders_and_escalations_happen_once(transaction: Transaction) -> None:
    due = NOW + timedelta(days=10)
    soon = await submit(transaction, due_at=due)
    later = await submit(transaction, due_at=due + timedelta(days=5))
    closed = await submit(transaction, due_at=due)
    await submit(transaction)  # no deadline at all
    async with transaction() as session:
        await CaseRepository(session).close(closed, LEAD, Outcome.EXPLAINED, None, now=NOW)

    async def ids(found: list[CaseView]) -> list[int]:
        return [case.id for case in found]

    async with transaction() as session:
        cases = CaseRepository(session)
        assert await ids(await cases.due_soon(due - timedelta(seconds=1))) == []
        assert await ids(await cases.due_soon(due)) == [soon]
        assert await ids(await cases.due_soon(due + timedelta(days=7))) == [soon, later]
        assert await cases.mark_reminded(soon, NOW) is True
        assert await cases.mark_reminded(soon, NOW + timedelta(hours=1)) is False
        assert await ids(await cases.due_soon(due + timedelta(days=7))) == [later]

        assert await ids(await cases.overdue_unescalated(due)) == []  # due, not past due
        past = due + timedelta(seconds=1)
        assert await ids(await cases.overdue_unescalated(past)) == [soon]
        assert await cases.mark_escalated(soon, past) is True
        assert await cases.mark_escalated(soon, past + timedelta(hours=1)) is False
        assert await ids(await cases.overdue_unescalated(past)) == []
        assert await ids(await cases.overdue_unescalated(due + timedelta(days=6))) == [later]
        row = (
            await session.execute(
                select(AppealRow.reminded_at, AppealRow.escalated_at).where(AppealRow.id == soon)
            )
        ).one()
    assert (row.reminded_at, row.escalated_at) == (NOW, past)
    case = await get(transaction, soon)
    assert case.version == 3  # one bump each, none for the repeated calls
    assert await kinds(transaction, soon) == [EventKind.SUBMITTED, EventKind.ESCALATED]


async def test_sweeps_come_in_batches_earliest_due_first(transaction: Transaction) -> None:
    due = [NOW + timedelta(days=d) for d in (3, 1, 2)]
    ids = [await submit(transaction, due_at=d) for d in due]
    horizon = NOW + timedelta(days=5)
    async with transaction() as session:
        cases = CaseRepository(session)
        assert [c.id for c in await cases.due_soon(horizon, limit=2)] == [ids[1], ids[2]]
        assert [c.id for c in await cases.overdue_unescalated(horizon, limit=1)] == [ids[1]]
        for case in await cases.due_soon(horizon, limit=2):
            await cases.mark_reminded(case.id, NOW)
        assert [c.id for c in await cases.due_soon(horizon, limit=2)] == [ids[0]]
        with pytest.raises(ValueError, match="limit"):
            await cases.due_soon(horizon, limit=0)


async def test_reminders_survive_a_restart(database_url: str) -> None:
    """Reminder state lives in the database: a new engine (a restarted bot) sees it."""
    due = NOW + timedelta(days=1)
    async with own_connection(database_url) as session:
        number = await AppealRepository(session).create(
            make_appeal(), now=NOW, queue=PAVLODAR, due_at=due
        )
        case = await CaseRepository(session).by_number(number)
        assert case is not None
        assert await CaseRepository(session).mark_reminded(case.id, NOW)
    async with own_connection(database_url) as session:
        cases = CaseRepository(session)
        assert await cases.due_soon(due) == []
        assert [c.id for c in await cases.overdue_unescalated(due + timedelta(hours=1))] == [
            case.id
        ]
