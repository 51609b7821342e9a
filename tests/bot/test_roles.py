"""Issue 6: who may look at and act on an appeal, for every role, through the production
dispatcher (tests.conftest.Harness) on SQLite and PostgreSQL.

Eight actors: the Pavlodar representative, the Karaganda representative, central staff, an
admin, a former Pavlodar representative (deactivated, still the assignee of one appeal), a
Telegram user who is not staff, the citizen who filed and another citizen. Seven appeals:
new, taken, closed and "taken by the former representative" in the Pavlodar queue, one in
Karaganda, a custody appeal routed by its institution (the filer lives in Pavlodar, the colony
is in Karaganda) and an urgent one in Astana (its copy went to the central office).

Who sees which appeal is written out by hand below (VISIBLE), not derived from the code under
test. Each rule is one row: an action, the appeal it is pressed on, and who is allowed; every
other actor must be refused. For every row and actor the test checks that

- an allowed action did exactly what it should, and a refused one changed nothing (status,
  assignee, queue, version, outcome and the thread, apart from audit entries);
- nothing sent to the actor names, quotes or numbers an appeal the actor may not see;
- every card or history shown was written to the audit trail (VIEWED), and nobody left a
  VIEWED entry on an appeal they may not see.

Buttons are forged with the real StaffCb and FollowCb classes, as a client can send any
callback data. StaffCb carries no version: a button is judged on the appeal's state at the
press (re-read under a lock), so the "stale" rows press buttons of a card drawn before the
appeal changed (take after someone took it, release after it was released, close after it was
closed, an outcome on another appeal's id).
"""

import asyncio
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.casework import FollowCb, StaffCb
from bot.texts import Texts
from dialogs.appeal import Attachment, NewAppeal
from dialogs.casework import EventKind, Role, Staff
from dialogs.catalog import load_catalog
from dialogs.routing import CENTRAL, queue_of_region, route
from dialogs.validation import normalize_iin
from dialogs.vocabulary import AppealStatus, AttachmentKind, Category, FilerType, Outcome, Region
from storage.casework import CaseRepository, StaffRepository
from storage.crypto import Keyring, install_keyring
from storage.db import create_engine, create_session_pool, upgrade_to_head
from storage.models import AppealEventRow, AppealRow, Base
from storage.repositories import AppealRepository, UserRepository
from tests.conftest import Citizen, Harness, fresh_postgres

T = Texts()
CATALOG = load_catalog()
NOW = datetime.now(UTC) - timedelta(days=1)


def t(key: str, **args: Any) -> str:
    return T.get("en", key, **args)


# --- the people ------------------------------------------------------------------------------

ACTORS: dict[str, int] = {
    "rep_pavlodar": 6001,
    "rep_karaganda": 6002,
    "central": 6003,
    "admin": 6004,
    "former_rep": 6005,  # was the Pavlodar representative; deactivated
    "plain_user": 6006,  # talks to the bot, is not staff, filed nothing
    "filer": 1001,
    "other_citizen": 1002,
}
STAFF = (
    Staff(ACTORS["rep_pavlodar"], Role.REPRESENTATIVE, Region.PAVLODAR, "Aliya"),
    Staff(ACTORS["rep_karaganda"], Role.REPRESENTATIVE, Region.KARAGANDA, "Marat"),
    Staff(ACTORS["central"], Role.CENTRAL, None, "Dana"),
    Staff(ACTORS["admin"], Role.ADMIN, None, "Erlan"),
    Staff(ACTORS["former_rep"], Role.REPRESENTATIVE, Region.PAVLODAR, "Former"),
)
STAFF_NAMES = frozenset({"rep_pavlodar", "rep_karaganda", "central", "admin"})  # active staff


def iin(first_eleven: str) -> str:
    """A valid IIN (its check digit right) starting with these digits."""
    for last in "0123456789":
        if normalize_iin(first_eleven + last):
            return first_eleven + last
    raise AssertionError(f"no valid IIN starts with {first_eleven}")


IIN_FILER, IIN_OTHER = iin("85030240013"), iin("91111150027")


# --- the appeals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """An appeal as the test stores it; `secret` is a word of its story no one else has."""

    user: str
    region: Region
    category: Category
    secret: str
    full_name: str
    iin: str | None = None
    urgent: bool = False
    filer_type: FilerType = FilerType.SELF
    subject_name: str | None = None
    institution: str | None = None
    files: tuple[str, ...] = ()
    taken_by: str | None = None
    closed: Outcome | None = None


APPEALS: dict[str, Seed] = {
    "pav_new": Seed(
        "filer", Region.PAVLODAR, Category.LABOUR, "Pavnewstory", "Aigerim Pavnew",
        iin=IIN_FILER, files=("pav-photo",),
    ),
    "pav_taken": Seed(
        "filer", Region.PAVLODAR, Category.HOUSING, "Pavtakenstory", "Aigerim Pavtaken",
        iin=IIN_FILER, taken_by="rep_pavlodar",
    ),
    "pav_former": Seed(
        "other_citizen", Region.PAVLODAR, Category.HEALTH_CARE, "Pavformerstory", "Bolat Pf",
        taken_by="former_rep",
    ),
    "pav_closed": Seed(
        "filer", Region.PAVLODAR, Category.SOCIAL_SECURITY, "Pavclosedstory", "Aigerim Pc",
        taken_by="rep_pavlodar", closed=Outcome.EXPLAINED,
    ),
    "kar_new": Seed(
        "other_citizen", Region.KARAGANDA, Category.LABOUR, "Karnewstory", "Bolat Karnew",
        iin=IIN_OTHER,
    ),
    # The filer lives in Pavlodar; her son is in a Karaganda colony: the colony's region works
    # it (dialogs.intake sets a custody appeal's region to the institution's).
    "custody": Seed(
        "filer", Region.KARAGANDA, Category.CONVICTS_RIGHTS, "Custodystory", "Aigerim Cu",
        iin=IIN_FILER, filer_type=FilerType.CUSTODY, subject_name="Serik Detainedson",
        institution="EC-166/11",
    ),
    "urgent": Seed(
        "other_citizen", Region.ASTANA, Category.TORTURE_ILL_TREATMENT, "Urgentstory",
        "Bolat Urgent", urgent=True,
    ),
}  # fmt: skip

ALL = frozenset(APPEALS)
PAVLODAR = frozenset({"pav_new", "pav_taken", "pav_former", "pav_closed"})
# What each actor may see: written from the rules of issue 6, not computed by the bot's code.
VISIBLE: dict[str, frozenset[str]] = {
    "rep_pavlodar": PAVLODAR,
    "rep_karaganda": frozenset({"kar_new", "custody"}),
    "central": ALL,
    "admin": ALL,
    "former_rep": frozenset(),  # not even the appeal still assigned to them
    "plain_user": frozenset(),
    "filer": frozenset(),  # a citizen sees their own appeals through /status only
    "other_citizen": frozenset(),
}
OWN = {a: frozenset(k for k, s in APPEALS.items() if s.user == a) for a in ACTORS}
CLOSED_MESSAGE = "Closingmessage for the filer"


# --- databases: seeded once per backend, handed to each test as seeded ----------------------
#
# Emptying and seeding the database for every test took most of this file's time. Each
# backend is now seeded once per module, and every test starts from the seed as nothing else
# touched it:
# - SQLite: a copy of the seeded file, on the production engine; what a test writes dies with
#   its copy.
# - PostgreSQL: one connection for the module, and per test a transaction on it that is rolled
#   back afterwards. Every session, the bot's one per update, the outbox postman's and the
#   test's own, comes from a pool bound to that connection, so their BEGIN and COMMIT become
#   SAVEPOINT and RELEASE inside the test's transaction and no write outlives the test.
#   Sequences do not roll back: they are set back to the seed's values before each test, so
#   ids are the same whatever ran before. After the rollback every table is compared with the
#   seed, so a write that escaped through another connection fails the test that made it (and
#   the ones after it) instead of passing unnoticed.

# The async tests share one event loop per module: the PostgreSQL connection belongs to the
# loop that opened it, and keeping it (with the statements it has prepared) from test to test
# halves what the PostgreSQL tests still take. The `world` fixture checks that no task
# outlives a test.
ONE_LOOP = pytest.mark.asyncio(loop_scope="module")


def _tables() -> list[str]:
    return [table.name for table in reversed(Base.metadata.sorted_tables)]


@dataclass(frozen=True)
class Seeded:
    kind: str  # "sqlite" or "postgres"
    ids: dict[str, int]  # appeal key -> id
    numbers: dict[str, str]  # appeal key -> number
    file: Path | None = None  # SQLite: the seeded file
    # PostgreSQL: the module's connection, a statement setting every sequence back to the seed,
    # and a digest of every table's rows.
    connection: AsyncConnection | None = None
    restart_sequences: str = ""
    tables: dict[str, str] = field(default_factory=dict)


async def seed_database(
    pool: async_sessionmaker[AsyncSession],
) -> tuple[dict[str, int], dict[str, str]]:
    """Store STAFF, ACTORS and APPEALS; return the appeals' ids and numbers."""
    ids, numbers = {}, {}
    async with pool() as s, s.begin():
        staff, users, appeals, cases = (
            StaffRepository(s),
            UserRepository(s),
            AppealRepository(s),
            CaseRepository(s),
        )
        for member in STAFF:
            await staff.upsert(member, added_by=None)
        for user_id in ACTORS.values():
            await users.ensure(user_id)
            await users.set_language(user_id, "en")
        for key, seed in APPEALS.items():
            new = NewAppeal(
                user_id=ACTORS[seed.user],
                chat_id=ACTORS[seed.user],
                language="en",
                consent_at=NOW,
                filer_type=seed.filer_type,
                category=seed.category,
                story=f"{seed.secret}: what happened, in the citizen's words.",
                region=seed.region,
                full_name=seed.full_name,
                urgent=seed.urgent,
                subject_name=seed.subject_name,
                institution=seed.institution,
                institution_region=seed.region if seed.institution else None,
                address="Pavlodar, Lenin street 1",
                iin=seed.iin,
                attachments=tuple(
                    Attachment(AttachmentKind.PHOTO, f, f"{f}-u") for f in seed.files
                ),
            )
            where = route(seed.category, seed.region, urgent=seed.urgent)
            number = await appeals.create(
                new, now=NOW, queue=where.queue, due_at=NOW + timedelta(days=20)
            )
            case = await cases.by_number(number)
            ids[key], numbers[key] = case.id, number
            if seed.taken_by:
                assert await cases.take(case.id, ACTORS[seed.taken_by], now=NOW)
            if seed.closed:
                await cases.close(
                    case.id, ACTORS[seed.taken_by], seed.closed, CLOSED_MESSAGE, now=NOW
                )
        await staff.deactivate(ACTORS["former_rep"])
    # The seeds are routed as the issue describes them, or the rows below test nothing.
    async with pool() as s:
        queue = {k: (await CaseRepository(s).get(i)).queue for k, i in ids.items()}
    assert queue["custody"] == queue["kar_new"] == queue_of_region(Region.KARAGANDA)
    assert queue["urgent"] == queue_of_region(Region.ASTANA)
    assert route(Category.TORTURE_ILL_TREATMENT, Region.ASTANA, urgent=True).copies == (CENTRAL,)
    return ids, numbers


async def table_digests(connection: AsyncConnection) -> dict[str, str]:
    """Each table's committed rows (as this connection sees them), as one md5 per table."""
    digests = " UNION ALL ".join(
        f"SELECT '{name}', md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), ''))"
        f" FROM {name} AS r"
        for name in _tables()
    )
    return dict((await connection.execute(text(digests))).all())


async def sequence_restarts(connection: AsyncConnection) -> str:
    """One statement that sets every sequence back to where it is now."""
    rows = await connection.execute(
        text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename),"
            " coalesce(last_value, start_value), last_value IS NOT NULL"
            " FROM pg_sequences WHERE schemaname = current_schema()"
        )
    )
    calls = [f"setval('{name}', {value}, {called})" for name, value, called in rows]
    assert calls, "no sequences: the tables' ids would not need setting back"
    return f"SELECT {', '.join(calls)}"


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
async def seeded(request, tmp_path_factory, test_keyring: Keyring) -> AsyncIterator[Seeded]:
    # This runs before the per-test `keyring` fixture: the seed is encrypted with its keys.
    install_keyring(test_keyring)
    if request.param == "sqlite":
        file = tmp_path_factory.mktemp("roles") / "seeded.db"
        url = f"sqlite+aiosqlite:///{file}"
        await upgrade_to_head(url)
        engine = create_engine(url)
        ids, numbers = await seed_database(create_session_pool(engine))
        await engine.dispose()  # the last connection out folds the write-ahead log in
        assert not file.with_name(f"{file.name}-wal").exists(), "copies would miss the seed"
        yield Seeded("sqlite", ids, numbers, file=file)
        return
    url = await fresh_postgres()
    engine = create_engine(url)
    ids, numbers = await seed_database(create_session_pool(engine))
    async with engine.connect() as connection:
        restart, tables = await sequence_restarts(connection), await table_digests(connection)
        await connection.rollback()  # the reads' transaction: each test begins its own
        yield Seeded("postgres", ids, numbers, None, connection, restart, tables)
    await engine.dispose()


@pytest_asyncio.fixture(loop_scope="module")
async def pool(seeded: Seeded, tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if seeded.file is not None:
        copy = tmp_path / "roles.db"
        shutil.copy(seeded.file, copy)
        engine = create_engine(f"sqlite+aiosqlite:///{copy}")
        yield create_session_pool(engine)
        await engine.dispose()
        return
    connection = seeded.connection
    assert connection is not None
    transaction = await connection.begin()
    await connection.execute(text(seeded.restart_sequences))
    pool = create_session_pool(connection.engine)
    pool.configure(bind=connection, join_transaction_mode="create_savepoint")
    yield pool
    await transaction.rollback()
    found = await table_digests(connection)
    await connection.rollback()  # the digests' read: the next test begins its own transaction
    escaped = sorted(name for name, digest in found.items() if digest != seeded.tables[name])
    assert not escaped, f"written outside the test's transaction: {escaped}"


@dataclass
class World:
    h: Harness
    pool: async_sessionmaker[AsyncSession]
    ids: dict[str, int]  # appeal key -> id
    numbers: dict[str, str]  # appeal key -> number

    def actor(self, name: str) -> Citizen:
        return self.h.citizen(ACTORS[name], language_code="en")


@pytest_asyncio.fixture(loop_scope="module")
async def world(seeded: Seeded, pool) -> AsyncIterator[World]:
    # A new harness per test: the dispatcher's FSM states, rate limits and recording.
    w = World(
        Harness(pool, texts=T, catalog=CATALOG), pool, dict(seeded.ids), dict(seeded.numbers)
    )
    yield w
    assert w.h.recording.violations == [], w.h.recording.violations
    # The loop is shared: nothing a test started may still run into the next one.
    left = asyncio.all_tasks() - {asyncio.current_task()}
    assert not left, left


# --- what changed, what was said ---------------------------------------------------------------


@dataclass(frozen=True)
class State:
    status: AppealStatus
    assignee: int | None
    queue: str
    version: int
    outcome: Outcome | None
    forwarded_to: str | None
    withdrawn: bool
    thread: tuple[tuple[str, int | None, str | None], ...]  # without VIEWED entries
    viewers: Counter = field(compare=False)  # VIEWED entries by staff id


async def snapshot(w: World) -> dict[str, State]:
    """Every appeal's state as stored, read straight from its tables in two queries: this runs
    before and after every step, and reading one appeal at a time through the repository (14
    queries) took about half of each test's time."""
    key_of = {appeal_id: key for key, appeal_id in w.ids.items()}
    async with w.pool() as s:
        appeals = await s.execute(
            select(
                AppealRow.id,
                AppealRow.status,
                AppealRow.assignee_id,
                AppealRow.queue,
                AppealRow.version,
                AppealRow.outcome,
                AppealRow.forwarded_to,
                AppealRow.withdrawn,
            ).where(AppealRow.id.in_(key_of))
        )
        events = await s.execute(
            select(
                AppealEventRow.appeal_id,
                AppealEventRow.kind,
                AppealEventRow.author_staff_id,
                AppealEventRow.text,
            )
            .where(AppealEventRow.appeal_id.in_(key_of))
            .order_by(AppealEventRow.id)  # the thread's order (CaseRepository.thread)
        )
    threads: dict[int, list[tuple[EventKind, int | None, str | None]]] = {i: [] for i in key_of}
    for event in events:
        threads[event.appeal_id].append((EventKind(event.kind), event.author_staff_id, event.text))
    out = {}
    for case in appeals:
        thread = threads[case.id]
        out[key_of[case.id]] = State(
            status=AppealStatus(case.status),
            assignee=case.assignee_id,
            queue=case.queue,
            version=case.version,
            outcome=None if case.outcome is None else Outcome(case.outcome),
            forwarded_to=case.forwarded_to,
            withdrawn=case.withdrawn,
            thread=tuple((k.value, who, x) for k, who, x in thread if k is not EventKind.VIEWED),
            viewers=Counter(who for k, who, _ in thread if k is EventKind.VIEWED),
        )
    assert out.keys() == w.ids.keys()  # no appeal went missing
    return out


async def staff_table(w: World) -> list[Staff]:
    async with w.pool() as s:
        return await StaffRepository(s).list_all()


@dataclass
class Heard:
    """Everything the bot sent to one actor during one step (messages, buttons, alerts)."""

    texts: list[str]
    alerts: list[str]
    buttons: list[str]  # labels of inline buttons
    raw: str  # all of it, buttons included, for the leak check
    cards: Counter  # appeal key -> cards or histories of it shown to the actor


def heard(w: World, actor: str, since: int) -> Heard:
    chat = str(ACTORS[actor])
    texts, alerts, buttons, raw = [], [], [], []
    for r in w.h.recording.requests[since:]:
        if r.method_name == "answerCallbackQuery":
            alerts.append(r.params.get("text", ""))
        elif str(r.params.get("chat_id")) != chat:
            continue
        texts.append(r.params.get("text", ""))
        markup = r.params.get("reply_markup")
        markup = json.loads(markup) if isinstance(markup, str) else (markup or {})
        buttons += [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
        raw.append(json.dumps({**r.params, "reply_markup": markup}, ensure_ascii=False))
    cards = Counter()
    for key, number in w.numbers.items():
        shown = (f"<b>{number}</b> · ", t("staff-thread-title", number=number))
        cards[key] = sum(
            1
            for x in texts
            # A new-appeal notification (after a reassignment) is a push, not a look.
            if any(s in x for s in shown) and not x.startswith("📥")
        )
    return Heard(texts, alerts, buttons, "\n".join(raw), cards)


def secrets(key: str, w: World) -> list[str]:
    seed = APPEALS[key]
    found = [w.numbers[key], seed.secret, seed.full_name]
    return found + [x for x in (seed.subject_name, seed.institution) if x]


def assert_nothing_leaked(w: World, actor: str, what: Heard) -> None:
    for key in ALL - VISIBLE[actor] - OWN[actor]:
        for secret in secrets(key, w):
            assert secret not in what.raw, f"{actor} was told {secret!r} of {key}"


def assert_views_audited(w: World, actor: str, before, after, what: Heard) -> None:
    """Every card or history shown is in the audit trail; no audit of what one cannot see."""
    me = ACTORS[actor]
    for key in ALL:
        new_views = after[key].viewers[me] - before[key].viewers[me]
        others = {
            who: n - before[key].viewers[who]
            for who, n in after[key].viewers.items()
            if who != me and n != before[key].viewers[who]
        }
        assert others == {}, f"{key}: VIEWED by someone who did nothing: {others}"
        if key not in VISIBLE[actor]:
            assert new_views == 0 and what.cards[key] == 0, (actor, key)
        assert new_views >= what.cards[key], f"{key}: shown to {actor} but not audited"


def assert_unchanged(before, after, *, except_for: str | None = None) -> None:
    for key in ALL - {except_for}:
        assert after[key] == before[key], f"{key} changed"


REFUSALS = {
    t(k)
    for k in (
        "staff-no-access",
        "staff-not-staff",
        "staff-unknown-appeal",
        "staff-already-closed",
        "staff-already-mine",
        "staff-taken-by-other",
        "staff-not-yours",
        "staff-take-first",
        "stale-button-alert",
        "citizen-appeal-closed",
    )
}


async def press(actor: Citizen, data: str) -> None:
    """A callback query with forged data, as if from a button of a message in the actor's
    own chat (any client can send any callback data)."""
    await actor._feed(
        {
            "callback_query": {
                "id": f"forged-{time.monotonic_ns()}",
                "from": actor.user,
                "chat_instance": "forged",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": actor.chat,
                    "text": "an old card",
                },
            }
        }
    )


# --- staff buttons ---------------------------------------------------------------------------

Effect = Callable[[State, State, int, str], None]
TYPED = "Typed reply number one"


def unchanged(b: State, a: State, me: int, typed: str) -> None:
    assert a == b


def took(b: State, a: State, me: int, typed: str) -> None:
    assert (a.assignee, a.status, a.version) == (me, AppealStatus.IN_PROGRESS, b.version + 1)
    assert a.thread[-1][:2] == (EventKind.TAKEN.value, me)


def released(b: State, a: State, me: int, typed: str) -> None:
    assert (a.assignee, a.status) == (None, AppealStatus.NEW)
    assert a.thread[-1][:2] == (EventKind.RELEASED.value, me)


def added(kind: EventKind) -> Effect:
    def effect(b: State, a: State, me: int, typed: str) -> None:
        assert a.thread == (*b.thread, (kind.value, me, typed))
        assert (a.status, a.assignee, a.queue) == (b.status, b.assignee, b.queue)

    return effect


def moved_to_central(b: State, a: State, me: int, typed: str) -> None:
    assert (a.queue, a.assignee, a.status) == (CENTRAL, None, AppealStatus.NEW)
    assert a.thread[-1][:2] == (EventKind.REASSIGNED.value, me)


def forwarded(b: State, a: State, me: int, typed: str) -> None:
    assert a.forwarded_to == typed and a.status is b.status
    assert a.thread[-1][:2] == (EventKind.FORWARDED.value, me)


def closed_as(outcome: Outcome) -> Effect:
    def effect(b: State, a: State, me: int, typed: str) -> None:
        assert (a.status, a.outcome) == (AppealStatus.CLOSED, outcome)
        assert a.thread[-1] == (EventKind.CLOSED.value, me, typed)

    return effect


@dataclass(frozen=True)
class Press:
    """One rule: `action` pressed on `appeal` is allowed to exactly `allowed`."""

    action: str
    appeal: str  # an APPEALS key, or "missing" (an id no appeal has)
    allowed: frozenset[str]
    effect: Effect = unchanged
    arg: str = ""
    typed: bool = False  # a prompt: the actor then types TYPED
    look: bool = False  # an allowed press shows the appeal (audited)


PAV = frozenset({"rep_pavlodar", "central", "admin"})
KAR = frozenset({"rep_karaganda", "central", "admin"})
LEADS = frozenset({"central", "admin"})
WORKER = frozenset({"rep_pavlodar", "admin"})  # pav_taken's assignee, or an admin
NOBODY: frozenset[str] = frozenset()

PRESSES = {
    # Looking.
    "open-own-region": Press("open", "pav_new", PAV, look=True),
    "open-karaganda": Press("open", "kar_new", KAR, look=True),
    "open-custody-by-institution": Press("open", "custody", KAR, look=True),
    "open-urgent-astana": Press("open", "urgent", LEADS, look=True),
    "open-assigned-to-former-rep": Press("open", "pav_former", PAV, look=True),
    "thread": Press("thread", "pav_taken", PAV, look=True),
    "thread-other-region": Press("thread", "kar_new", KAR, look=True),
    "files": Press("files", "pav_new", PAV, look=True),
    # Taking and handing back.
    "take": Press("take", "pav_new", PAV, took, look=True),
    "take-other-region": Press("take", "kar_new", KAR, took, look=True),
    "take-urgent": Press("take", "urgent", LEADS, took, look=True),
    "stale-take-already-taken": Press("take", "pav_taken", NOBODY),
    "release": Press("release", "pav_taken", WORKER, released, look=True),
    "stale-release-not-taken": Press("release", "pav_new", NOBODY),
    "release-former-reps-case": Press("release", "pav_former", frozenset({"admin"}), released),
    # Working it: prompts, then what is typed.
    "ask": Press("ask", "pav_taken", WORKER, added(EventKind.QUESTION), typed=True),
    "ask-not-taken": Press("ask", "pav_new", NOBODY, typed=True),
    "ask-former-reps-case": Press(
        "ask", "pav_former", frozenset({"admin"}), added(EventKind.QUESTION), typed=True
    ),
    "note": Press("note", "pav_new", PAV, added(EventKind.NOTE), typed=True),
    "note-closed": Press("note", "pav_closed", PAV, added(EventKind.NOTE), typed=True),
    "note-other-region": Press("note", "kar_new", KAR, added(EventKind.NOTE), typed=True),
    "forward": Press("forward", "pav_taken", WORKER, forwarded, typed=True),
    # Reassigning: the picker, and the move itself.
    "reassign-picker": Press("reassign", "pav_new", PAV),
    "reassign-new": Press("reassign_to", "pav_new", PAV, moved_to_central, arg="central"),
    "reassign-taken": Press(
        "reassign_to", "pav_taken", PAV, moved_to_central, arg="central"
    ),  # its worker or a lead; central staff may move a colleague's case
    "reassign-other-region": Press("reassign_to", "kar_new", KAR, moved_to_central, arg="central"),
    "reassign-closed": Press("reassign_to", "pav_closed", NOBODY, arg="central"),
    "reassign-forged-target": Press("reassign_to", "pav_new", NOBODY, arg="outside"),
    # Closing: the picker, each outcome, and forgeries.
    "close-picker": Press("close", "pav_taken", WORKER),
    **{
        f"close-{o.value}": Press("close_as", "pav_taken", WORKER, closed_as(o), o.value, True)
        for o in Outcome
    },
    "stale-close-already-closed": Press("close_as", "pav_closed", NOBODY, arg="satisfied"),
    "close-different-appeal-id": Press("close_as", "kar_new", NOBODY, arg="explained"),
    "close-forged-outcome": Press("close_as", "pav_taken", NOBODY, arg="granted", typed=True),
    "take-missing-appeal": Press("take", "missing", NOBODY),
}


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("rule", [pytest.param(p, id=k) for k, p in PRESSES.items()])
async def test_staff_buttons(world: World, rule: Press, actor: str):
    w, me = world, ACTORS[actor]
    who = w.actor(actor)
    appeal_id = w.ids.get(rule.appeal, 987_654)
    before = await snapshot(w)
    since = len(w.h.recording.requests)
    await press(who, StaffCb(action=rule.action, appeal=appeal_id, arg=rule.arg).pack())
    if rule.typed:
        await who.send(TYPED)
    after = await snapshot(w)
    what = heard(w, actor, since)

    assert_nothing_leaked(w, actor, what)
    assert_views_audited(w, actor, before, after, what)
    [alert] = what.alerts[:1] or [""]  # the press's own answer comes first
    if actor in rule.allowed:
        assert alert not in REFUSALS, alert
        rule.effect(before[rule.appeal], after[rule.appeal], me, TYPED)
        assert_unchanged(before, after, except_for=rule.appeal)
        if rule.look:
            assert after[rule.appeal].viewers[me] > before[rule.appeal].viewers[me]
    else:
        assert alert in REFUSALS, (alert, what.texts)
        assert_unchanged(before, after)
        if actor not in STAFF_NAMES:
            assert alert == t("staff-not-staff")


# --- staff commands --------------------------------------------------------------------------


def listed(w: World, what: Heard) -> set[str]:
    """The appeals named on the buttons of a queue page."""
    return {k for k, n in w.numbers.items() if any(n in b for b in what.buttons)}


OPEN_NEW = frozenset({"pav_new", "kar_new", "custody", "urgent"})
# view -> the appeals it lists for someone who sees everything (VISIBLE narrows it).
VIEW_LISTS: dict[str, frozenset[str]] = {
    "new": OPEN_NEW,
    "all": ALL,
    "urgent": frozenset({"urgent"}),
    "overdue": frozenset(),
}
# Every argument /queue accepts, and some it does not (a region is not one: the queues are
# the member's own; anything unknown is the "new" view).
QUEUE_ARGS = {
    "no-arg": ("", "new"),
    "new": ("new", "new"),
    "all": ("all", "all"),
    "urgent": ("urgent", "urgent"),
    "overdue": ("overdue", "overdue"),
    "mine": ("mine", "mine"),
    "region-name": ("karaganda", "new"),
    "region-queue": ("region:karaganda", "new"),
    "own-region-name": ("pavlodar", "new"),
    "central-queue": ("central", "new"),
}


def expected_listing(actor: str, view: str) -> set[str]:
    if view == "mine":
        return {k for k in ALL if APPEALS[k].taken_by == actor and not APPEALS[k].closed}
    return set(VIEW_LISTS[view] & VISIBLE[actor])


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("arg", [pytest.param(v, id=k) for k, v in QUEUE_ARGS.items()])
async def test_queue_lists_only_what_the_actor_may_see(world: World, arg, actor: str):
    w, (typed, view) = world, arg
    who = w.actor(actor)
    before = await snapshot(w)
    # Callback data cannot carry ':' (aiogram's separator): such a "page" never parses.
    for how in ("command", "page-button") if ":" not in typed else ("command",):
        since = len(w.h.recording.requests)
        if how == "command":
            await who.send(f"/queue {typed}".strip())
        else:
            await press(who, StaffCb(action="page", appeal=0, arg=typed).pack())
        what = heard(w, actor, since)
        assert_nothing_leaked(w, actor, what)
        shown = t(f"staff-view-{view}")
        titles = {t("staff-queue-title", view=shown), t("staff-queue-empty", view=shown)}
        if actor in STAFF_NAMES:
            assert any(x in titles for x in what.texts), (how, what.texts)
            assert listed(w, what) == expected_listing(actor, view), how
        else:
            assert not any(x in titles for x in what.texts)
            assert listed(w, what) == set()
    assert_unchanged(before, await snapshot(w))  # a listing is not a look at an appeal


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
async def test_appeal_by_number(world: World, actor: str):
    w, me = world, ACTORS[actor]
    who = w.actor(actor)
    for key in APPEALS:
        before = await snapshot(w)
        since = len(w.h.recording.requests)
        # Lower case and spaces: how people type it on a phone.
        await who.send(f"/appeal  {w.numbers[key].lower()} ")
        after = await snapshot(w)
        what = heard(w, actor, since)
        assert_nothing_leaked(w, actor, what)
        assert_views_audited(w, actor, before, after, what)
        assert_unchanged(before, after)
        if key in VISIBLE[actor]:
            assert what.cards[key] == 1
            assert after[key].viewers[me] == before[key].viewers[me] + 1
        else:
            assert what.cards[key] == 0 and w.numbers[key] not in what.raw
            if actor in STAFF_NAMES:  # the same answer as for a number that does not exist
                assert what.texts == [t("staff-unknown-appeal")]


FILERS = frozenset({"pav_new", "pav_taken", "custody"})  # the appeals that gave IIN_FILER
IIN_QUERIES = {
    "filer-iin": (IIN_FILER, FILERS),
    "filer-iin-spaced": (f"{IIN_FILER[:6]} {IIN_FILER[6:]}", FILERS),
    "other-iin": (IIN_OTHER, frozenset({"kar_new"})),
    "unknown-iin": (iin("77777777777"), frozenset()),
}  # fmt: skip


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("query", [pytest.param(v, id=k) for k, v in IIN_QUERIES.items()])
async def test_appeal_by_iin(world: World, query, actor: str, caplog):
    w, me, (typed, holders) = world, ACTORS[actor], query
    who = w.actor(actor)
    before = await snapshot(w)
    since = len(w.h.recording.requests)
    with caplog.at_level(logging.DEBUG):
        await who.send(f"/appeal {typed}")
    after = await snapshot(w)
    what = heard(w, actor, since)
    expected = holders & VISIBLE[actor]
    assert_nothing_leaked(w, actor, what)
    assert_views_audited(w, actor, before, after, what)
    assert_unchanged(before, after)
    assert {k for k in ALL if what.cards[k]} == expected
    for key in expected:  # each card shown is one audited look
        assert after[key].viewers[me] == before[key].viewers[me] + 1
    if actor in STAFF_NAMES:
        if expected:
            assert what.texts[0] == t("staff-iin-found", count=len(expected))
        else:  # "none in your queues" whether or not the person has appeals elsewhere
            assert what.texts == [t("staff-unknown-appeal")]
    digits = typed.replace(" ", "")
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert caplog.records  # the logs were captured (DEBUG: SQL too), so the check means something
    assert digits not in logged and typed not in logged


@ONE_LOOP
async def test_more_than_five_appeals_by_one_iin_come_as_buttons(world: World):
    w = world
    async with w.pool() as s, s.begin():
        for n in range(6):
            await AppealRepository(s).create(
                NewAppeal(
                    user_id=ACTORS["filer"], chat_id=ACTORS["filer"], language="en",
                    consent_at=NOW, filer_type=FilerType.SELF, category=Category.LABOUR,
                    story=f"Extra {n}", region=Region.PAVLODAR, full_name="A", iin=IIN_FILER,
                ),
                now=NOW + timedelta(minutes=n), queue=queue_of_region(Region.PAVLODAR),
            )  # fmt: skip
    rep = w.actor("rep_pavlodar")
    since = len(w.h.recording.requests)
    await rep.send(f"/appeal {IIN_FILER}")
    what = heard(w, "rep_pavlodar", since)
    assert what.texts[0] == t("staff-iin-found", count=8)
    assert sum(1 for x in what.texts if x.startswith("<b>PAV-")) == 5  # newest five: cards
    assert what.texts[-1] == t("staff-iin-more", count=3)
    buttons = rep.buttons(rep.messages()[-1])
    assert len(buttons) == 3 and all(b.startswith("PAV-") for b in buttons)
    async with w.pool() as s:
        views = [
            e
            for appeal_id in range(1, 20)
            for e in await CaseRepository(s).thread(appeal_id)
            if e.kind is EventKind.VIEWED
        ]
    assert len(views) == 5  # the listed ones are audited when opened, not before


@dataclass(frozen=True)
class Command:
    text: str
    allowed: frozenset[str]
    says: str  # the start of what an allowed actor is told ({me}: the actor's id)
    changes_staff: bool = False


STATS_TITLE = t("stats-title", start="S", end="E").split("S")[0]
STAFF_COMMANDS = {
    "stats": Command("/stats", STAFF_NAMES, STATS_TITLE),
    "stats-year": Command("/stats 2025", STAFF_NAMES, STATS_TITLE),
    "staff-list": Command("/staff", frozenset({"admin"}), t("staff-list-title")),
    "staff-add": Command(
        "/staff_add 6100 representative karaganda New Rep",
        frozenset({"admin"}),
        t("staff-added", user="6100", role="representative", region="karaganda"),
        changes_staff=True,
    ),
    "staff-promote-self": Command(
        # Someone trying to make themselves an administrator.
        "/staff_add {me} admin Erlan",
        frozenset({"admin"}),
        t("staff-added", user="{me}", role="admin", region="—"),
        changes_staff=False,  # for the admin, who is Erlan, it changes nothing
    ),
    "staff-remove": Command(
        "/staff_remove 6002",
        frozenset({"admin"}),
        t("staff-removed", user="6002"),
        changes_staff=True,
    ),
}


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("command", [pytest.param(v, id=k) for k, v in STAFF_COMMANDS.items()])
async def test_staff_commands(world: World, command: Command, actor: str):
    w, me = world, ACTORS[actor]
    who = w.actor(actor)
    before, staff_before = await snapshot(w), await staff_table(w)
    since = len(w.h.recording.requests)
    await who.send(command.text.format(me=me))
    what = heard(w, actor, since)
    after, staff_after = await snapshot(w), await staff_table(w)
    assert_nothing_leaked(w, actor, what)
    assert_unchanged(before, after)
    for key in ALL:  # statistics are figures: no number, story or name of any appeal
        for secret in secrets(key, w):
            assert secret not in what.raw
    says = command.says.format(me=me)
    if actor in command.allowed:
        assert any(x.startswith(says) for x in what.texts), what.texts
        assert (staff_after != staff_before) is command.changes_staff
    else:
        assert not any(x.startswith(says) for x in what.texts), what.texts
        assert staff_after == staff_before
        if actor == "former_rep":
            # The deactivated member stays deactivated and is told nothing of the office.
            assert not next(m for m in staff_after if m.user_id == me).active


# --- citizens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Follow:
    action: str
    appeal: str
    effect: Effect = unchanged
    typed: bool = False
    shows: str = ""  # a text only the appeal's own citizen may read


FOLLOWS = {
    "read-answer": Follow("show", "pav_closed", shows=CLOSED_MESSAGE),
    "add-info": Follow("add", "pav_new", added(EventKind.CITIZEN_INFO), typed=True),
    "answer": Follow("answer", "pav_taken", added(EventKind.ANSWER), typed=True),
    "withdraw-ask": Follow("withdraw", "pav_new"),
    "withdraw-confirm": Follow("withdraw_yes", "pav_new"),
}


def citizen_effect(rule: Follow) -> Effect:
    if rule.action != "withdraw_yes":
        return rule.effect

    def withdrawn(b: State, a: State, me: int, typed: str) -> None:
        assert a.withdrawn and a.status is AppealStatus.CLOSED
        assert a.thread[-1][0] == EventKind.WITHDRAWN.value

    return withdrawn


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("rule", [pytest.param(v, id=k) for k, v in FOLLOWS.items()])
async def test_citizen_buttons_work_only_on_ones_own_appeal(world: World, rule: Follow, actor):
    w = world
    who = w.actor(actor)
    before = await snapshot(w)
    since = len(w.h.recording.requests)
    await press(who, FollowCb(action=rule.action, appeal=w.ids[rule.appeal]).pack())
    if rule.typed:
        await who.send(TYPED)
    after = await snapshot(w)
    what = heard(w, actor, since)
    [alert] = what.alerts[:1] or [""]
    owner = APPEALS[rule.appeal].user
    if actor == owner:
        assert alert != t("stale-button-alert")
        effect = citizen_effect(rule)
        # A citizen's own answer has no staff author.
        effect(before[rule.appeal], after[rule.appeal], None, TYPED)
        assert_unchanged(before, after, except_for=rule.appeal)
        if rule.shows:
            assert any(rule.shows in x for x in what.texts)
    else:
        assert alert == t("stale-button-alert")
        assert_unchanged(before, after)
        for secret in [*secrets(rule.appeal, w), CLOSED_MESSAGE]:
            assert secret not in what.raw
    # Citizens' buttons never leave an audit entry: they are not staff looking.
    assert all(after[k].viewers == before[k].viewers for k in ALL)


@ONE_LOOP
@pytest.mark.parametrize("actor", list(ACTORS))
async def test_status_shows_only_ones_own_appeals(world: World, actor: str):
    w = world
    who = w.actor(actor)
    since = len(w.h.recording.requests)
    await who.send("/status")
    what = heard(w, actor, since)
    [text] = what.texts
    assert {k for k, n in w.numbers.items() if n in what.raw} == set(OWN[actor])
    if not OWN[actor]:
        assert text.startswith(t("status-empty"))
    for key in ALL:  # /status names numbers and topics, never a story or a name
        seed = APPEALS[key]
        assert seed.secret not in what.raw and seed.full_name not in what.raw


# The matrix is what the module docstring promises: keep it from shrinking unnoticed.
def test_the_matrix_covers_every_actor_and_staff_action():
    assert len(ACTORS) == 8 and {s.user_id for s in STAFF} < set(ACTORS.values())
    pressed = {p.action for p in PRESSES.values()}
    assert pressed >= {
        "open", "thread", "files", "take", "release", "ask", "note", "reassign",
        "reassign_to", "forward", "close", "close_as",
    }  # fmt: skip
    assert {p.arg for p in PRESSES.values() if p.action == "close_as"} >= {
        o.value for o in Outcome
    }
    assert {f.action for f in FOLLOWS.values()} >= {"show", "add", "answer", "withdraw_yes"}
