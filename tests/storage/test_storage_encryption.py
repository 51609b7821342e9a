"""Encryption at rest: the database alone reveals nothing people wrote; the IIN is found by its
blind index; migration 0005 encrypts existing rows and its downgrade decrypts them."""

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.appeal import Attachment, NewAppeal
from dialogs.casework import EventKind
from dialogs.vocabulary import (
    AttachmentKind,
    Category,
    DetentionKind,
    FilerType,
    Outcome,
    Region,
)
from storage.casework import CaseRepository
from storage.crypto import (
    EncryptedJSON,
    EncryptedText,
    KeyConfigError,
    Keyring,
    NotConfiguredError,
    UndecryptableError,
    generate_key,
    install_keyring,
    normalize_iin,
)
from storage.db import create_engine
from storage.models import UtcDateTime
from storage.repositories import AppealRepository, DraftRepository
from tests.storage.builders import Transaction
from tests.storage.migrating import migrate, run_sync

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
IIN = "900101300123"
# Everything a citizen or a staff member typed, each distinctive enough to grep for.
SECRETS = {
    "story": "Меня избивали в камере номер семь охранники",
    "full_name": "Айгүл Нұрланқызы Сейітова",
    "subject_name": "Ержан Болатұлы Маратов",
    "phone": "+77011234567",
    "iin": IIN,
    "address": "Павлодар, улица Торайгырова 64, кв 12",
    "relation": "младший брат заключённого",
    "institution": "ЕЦ-166/11 колония строгого режима",
    "body_complained": "Администрация учреждения ЕЦ-166",
    "incident_date": "прошлой пятницей вечером",
    "prior_complaint": "Писала прокурору области в марте",
    "request": "Провести проверку и перевести брата",
    "file_id": "AgACAgIAAxkBAAIBsecretfileid",
    "question": "Уточните номер отряда вашего брата",
    "answer": "Отряд номер четыре секретный ответ",
    "note": "Внутренняя заметка про свидетеля Касымова",
    "forwarded": "Прокуратура Павлодарской области отдел надзора",
    "close": "Проверка проведена, виновные наказаны",
    "draft": "Черновик рассказа про пытки током",
}


def full_appeal(**changes: Any) -> NewAppeal:
    appeal = NewAppeal(
        user_id=7,
        chat_id=7,
        language="ru",
        consent_at=NOW - timedelta(minutes=10),
        filer_type=FilerType.CUSTODY,
        category=Category.TORTURE_ILL_TREATMENT,
        story=SECRETS["story"],
        region=Region.ASTANA,
        full_name=SECRETS["full_name"],
        urgent=True,
        subject_name=SECRETS["subject_name"],
        relation=SECRETS["relation"],
        detention_kind=DetentionKind.COLONY,
        institution=SECRETS["institution"],
        institution_region=Region.PAVLODAR,
        body_complained=SECRETS["body_complained"],
        incident_date=SECRETS["incident_date"],
        prior_complaint=SECRETS["prior_complaint"],
        request=SECRETS["request"],
        phone=SECRETS["phone"],
        iin=IIN,
        address=SECRETS["address"],
        attachments=(
            Attachment(
                kind=AttachmentKind.PHOTO,
                file_id=SECRETS["file_id"],
                file_unique_id="uniq1",
                mime_type="image/jpeg",
                file_size=1000,
            ),
        ),
    )
    return dataclasses.replace(appeal, **changes)


async def file_everything(transaction: Transaction) -> int:
    """A full custody appeal with a thread of every kind of typed text, and a draft."""
    async with transaction() as session:
        number = await AppealRepository(session).create(
            full_appeal(), now=NOW, queue="region:pavlodar"
        )
        cases = CaseRepository(session)
        case = await cases.by_number(number)
        assert case is not None
        await cases.take(case.id, 10, now=NOW)
        for kind, key in (
            (EventKind.QUESTION, "question"),
            (EventKind.ANSWER, "answer"),
            (EventKind.NOTE, "note"),
        ):
            await cases.add_event(case.id, kind, author_staff_id=10, text=SECRETS[key], now=NOW)
        await cases.forward(case.id, 10, SECRETS["forwarded"], now=NOW)
        await cases.close(case.id, 10, Outcome.SATISFIED, SECRETS["close"], now=NOW)
        await DraftRepository(session).save(8, {"story": SECRETS["draft"], "step": "s"}, 3)
    return case.id


def _dump(connection: Connection) -> str:
    """Every row of every table, as the database returns it: no ORM types, no keys."""
    parts = []
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')):
            parts.extend(str(value) for value in row)
    return "\n".join(parts)


async def raw_dump(url: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_dump)
    finally:
        await engine.dispose()


async def test_the_database_alone_reveals_nothing_people_wrote(
    database_url: str, transaction: Transaction
) -> None:
    appeal_id = await file_everything(transaction)

    dump = await raw_dump(database_url)
    leaked = {
        key: value
        for key, value in SECRETS.items()
        # Its longest word too: a partial leak is still a leak.
        if value.casefold() in dump.casefold() or max(value.split(), key=len) in dump
    }
    assert leaked == {}
    assert hashlib.sha256(IIN.encode()).hexdigest() not in dump
    # What statistics and routing need is in clear.
    for clear in ("torture_ill_treatment", "pavlodar", "satisfied", "closed", "colony"):
        assert clear in dump

    # ... and through the models everything reads back as written.
    async with transaction() as session:
        cases = CaseRepository(session)
        case = await cases.get(appeal_id)
        thread = await cases.thread(appeal_id)
        files = await AppealRepository(session).attachments(appeal_id)
        draft = await DraftRepository(session).load(8)
    assert case is not None
    assert case.subject_name == SECRETS["subject_name"]
    assert case.institution == SECRETS["institution"]
    assert case.story_excerpt == SECRETS["story"]
    assert case.forwarded_to == SECRETS["forwarded"]
    texts = {entry.kind: entry.text for entry in thread}
    assert texts[EventKind.QUESTION] == SECRETS["question"]
    assert texts[EventKind.CLOSED] == SECRETS["close"]
    assert {"body": SECRETS["forwarded"]} in [entry.data for entry in thread]
    assert files[0].file_id == SECRETS["file_id"]
    assert draft is not None and draft.data == {"story": SECRETS["draft"], "step": "s"}


async def test_the_story_excerpt_is_cut_after_decryption(transaction: Transaction) -> None:
    story = "Ә" * 1000
    async with transaction() as session:
        number = await AppealRepository(session).create(
            full_appeal(story=story), now=NOW, queue="region:pavlodar"
        )
        case = await CaseRepository(session).by_number(number)
    assert case is not None and case.story_excerpt == "Ә" * 300


async def test_appeals_are_found_by_iin_through_the_blind_index(
    transaction: Transaction, keyring: Keyring
) -> None:
    async with transaction() as session:
        repo = AppealRepository(session)
        first = await repo.create(full_appeal(), now=NOW, queue="region:pavlodar")
        second = await repo.create(
            full_appeal(iin="900101 300-123"), now=NOW + timedelta(hours=1), queue="central"
        )
        await repo.create(full_appeal(iin="850202400456"), now=NOW, queue="central")
        await repo.create(full_appeal(iin=None), now=NOW, queue="central")
    async with transaction() as session:
        cases = CaseRepository(session)
        found = [c.number for c in await cases.by_iin(" 9001 0130 0123 ")]
        assert await cases.by_iin("") == []
        assert await cases.by_iin("111111111111") == []
        stored = await session.scalar(text("SELECT iin_digest FROM appeals ORDER BY id LIMIT 1"))
    assert found == [second, first]  # newest first
    # Keyed: another blind index key gives another digest, so a dictionary of all IINs
    # hashed without the key finds nothing.
    assert stored == keyring.blind_index(IIN)
    assert stored != Keyring([generate_key()], generate_key()).blind_index(IIN)
    assert stored != hashlib.sha256(IIN.encode()).hexdigest()


def test_iin_normalisation_keeps_only_digits() -> None:
    assert normalize_iin(" 900101-300 123 ") == IIN
    assert normalize_iin("９００１０１３００１２３") == IIN  # full-width digits (a phone keyboard)
    assert normalize_iin(None) == normalize_iin("нет") == ""


async def test_an_encrypted_column_refuses_to_work_without_keys(
    transaction: Transaction,
) -> None:
    install_keyring(None)
    with pytest.raises(StatementError, match="install_keyring") as error:
        async with transaction() as session:
            await DraftRepository(session).save(1, {"story": "x"}, 1)
    assert isinstance(error.value.orig, NotConfiguredError)


async def test_a_value_under_an_unknown_key_fails_clearly(transaction: Transaction) -> None:
    async with transaction() as session:
        await DraftRepository(session).save(1, {"story": "x"}, 1)
    install_keyring(Keyring([generate_key()], generate_key()))
    with pytest.raises(UndecryptableError, match="none of ENCRYPTION_KEYS"):
        async with transaction() as session:
            await DraftRepository(session).load(1)


def test_bad_keys_are_refused_without_echoing_them() -> None:
    good = generate_key()
    with pytest.raises(KeyConfigError, match="key 2 is not a Fernet key") as error:
        Keyring([good, "not-a-secret-key-but-close"], good)
    assert "not-a-secret-key" not in str(error.value)
    with pytest.raises(KeyConfigError, match="BLIND_INDEX_KEY"):
        Keyring([good], "short")
    with pytest.raises(KeyConfigError, match="ENCRYPTION_KEYS holds no key"):
        Keyring.from_strings(" , ", good)
    with pytest.raises(KeyConfigError, match="BLIND_INDEX_KEY is not set"):
        Keyring.from_environment({"ENCRYPTION_KEYS": good})
    keyring = Keyring.from_strings(f"{good}, {generate_key()}", good)
    assert keyring.key_count == 2 and good not in repr(keyring)


def test_the_column_types_round_trip_and_keep_null(keyring: Keyring) -> None:
    text_type, json_type = EncryptedText(), EncryptedJSON()
    dialect = sa.create_engine("sqlite://").dialect
    token = text_type.process_bind_param("Сәлем", dialect)
    assert token is not None and "Сәлем" not in token
    assert text_type.process_result_value(token, dialect) == "Сәлем"
    assert text_type.process_bind_param(None, dialect) is None
    # Fernet tokens are randomised: equal texts do not show as equal in the database.
    assert text_type.process_bind_param("Сәлем", dialect) != token
    value = {"a": ["ә", 1, None]}
    stored = json_type.process_bind_param(value, dialect)
    assert json_type.process_result_value(stored, dialect) == value
    assert json_type.process_bind_param(None, dialect) is None


# --- Migration 0005 on rows written in clear by revision 0003. ---

USERS = sa.table(
    "users",
    sa.column("id", sa.BigInteger()),
    sa.column("created_at", UtcDateTime()),
    sa.column("updated_at", UtcDateTime()),
)
PLAIN_APPEAL = {
    "id": 1,
    "number": "PAV-2026-000001",
    "user_id": 1,
    "chat_id": 1,
    "language": "ru",
    "category": "torture_ill_treatment",
    "region": "pavlodar",
    "filer_type": "custody",
    "story": SECRETS["story"],
    "full_name": SECRETS["full_name"],
    "phone": SECRETS["phone"],
    "iin": "900101 300123",
    "address": SECRETS["address"],
    "forwarded_to": SECRETS["forwarded"],
    "queue": "region:pavlodar",
}


def _insert_plain_rows(connection: Connection) -> None:
    connection.execute(sa.insert(USERS).values(id=1, created_at=NOW, updated_at=NOW))
    appeals = sa.table(
        "appeals",
        *(sa.column(c) for c in PLAIN_APPEAL),
        sa.column("consent_at", UtcDateTime()),
        sa.column("created_at", UtcDateTime()),
        sa.column("updated_at", UtcDateTime()),
    )
    connection.execute(
        sa.insert(appeals).values(**PLAIN_APPEAL, consent_at=NOW, created_at=NOW, updated_at=NOW)
    )
    events = sa.table(
        "appeal_events",
        sa.column("appeal_id"),
        sa.column("kind"),
        sa.column("text"),
        sa.column("data", sa.JSON()),
        sa.column("created_at", UtcDateTime()),
    )
    connection.execute(
        sa.insert(events).values(
            appeal_id=1, kind="note", text=SECRETS["note"], data={"body": "б"}, created_at=NOW
        )
    )
    connection.execute(
        sa.insert(events).values(
            appeal_id=1, kind="submitted", text=None, data=None, created_at=NOW
        )
    )
    drafts = sa.table(
        "drafts",
        sa.column("user_id"),
        sa.column("data", sa.JSON()),
        sa.column("revision"),
        sa.column("updated_at", UtcDateTime()),
    )
    connection.execute(
        sa.insert(drafts).values(
            user_id=1, data={"story": SECRETS["draft"]}, revision=2, updated_at=NOW
        )
    )


def _raw(connection: Connection) -> dict[str, Any]:
    appeal = connection.execute(text("SELECT * FROM appeals")).mappings().one()
    notes = connection.execute(text("SELECT text, data FROM appeal_events ORDER BY id")).all()
    draft = connection.execute(text("SELECT data FROM drafts")).scalar_one()
    return {"appeal": dict(appeal), "events": [tuple(n) for n in notes], "draft": draft}


async def test_migration_0005_encrypts_existing_rows_and_downgrade_decrypts_them(
    empty_database_url: str, keyring: Keyring
) -> None:
    url = empty_database_url
    await migrate(url, command.upgrade, "0003")
    await run_sync(url, _insert_plain_rows)

    await migrate(url, command.upgrade, "0005")
    encrypted = await run_sync(url, _raw)
    dump = await raw_dump(url)
    assert [v for v in SECRETS.values() if v in dump] == []
    appeal = encrypted["appeal"]
    assert keyring.decrypt(appeal["story"]) == SECRETS["story"]
    assert keyring.decrypt(appeal["iin"]) == "900101 300123"
    assert appeal["iin_digest"] == keyring.blind_index(IIN)
    assert appeal["category"] == "torture_ill_treatment"  # statistics stay in clear
    assert encrypted["events"][1] == (None, None)  # NULL stays NULL
    assert encrypted["draft"] != '{"story": "..."}'

    # Through the models the rows read as they were written.
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            session = AsyncSession(bind=connection)
            found = await CaseRepository(session).by_iin(IIN)
            thread = await CaseRepository(session).thread(1)
            draft = await DraftRepository(session).load(1)
    finally:
        await engine.dispose()
    assert [c.number for c in found] == ["PAV-2026-000001"]
    assert found[0].story_excerpt == SECRETS["story"]
    assert found[0].forwarded_to == SECRETS["forwarded"]
    assert (thread[0].text, thread[0].data) == (SECRETS["note"], {"body": "б"})
    assert draft is not None and draft.data == {"story": SECRETS["draft"]}

    await migrate(url, command.downgrade, "0003")
    plain = await run_sync(url, _raw)
    assert "iin_digest" not in plain["appeal"]
    assert {k: plain["appeal"][k] for k in PLAIN_APPEAL} == PLAIN_APPEAL
    assert plain["events"][0][0] == SECRETS["note"]
    assert plain["events"][1] == (None, None)
    assert await run_sync(url, _json_data) == (
        [{"body": "б"}, None],
        [{"story": SECRETS["draft"]}],
    )


def _json_data(connection: Connection) -> tuple[list[Any], list[Any]]:
    """The data columns read as JSON again (SQLAlchemy parses them the same on both)."""
    events = sa.table("appeal_events", sa.column("id"), sa.column("data", sa.JSON()))
    drafts = sa.table("drafts", sa.column("data", sa.JSON()))
    return (
        list(connection.scalars(sa.select(events.c.data).order_by(events.c.id))),
        list(connection.scalars(sa.select(drafts.c.data))),
    )


async def test_migration_0005_needs_keys_only_when_there_are_rows(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    install_keyring(None)
    # An empty database (a fresh install) migrates without keys...
    await migrate(url, command.upgrade, "head")
    await migrate(url, command.downgrade, "0003")
    # ... one with rows in clear says in one sentence what to set, and stays as it was.
    await run_sync(url, _insert_plain_rows)
    with pytest.raises(RuntimeError, match="set ENCRYPTION_KEYS and BLIND_INDEX_KEY"):
        await migrate(url, command.upgrade, "0005")
    plain = await run_sync(url, _raw)
    assert plain["appeal"]["story"] == SECRETS["story"]
    assert "iin_digest" not in plain["appeal"]
