"""Appeals: numbering, attachments, listing and transaction behaviour."""

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.appeal import AppealSummary, Attachment, NewAppeal
from dialogs.vocabulary import (
    AppealStatus,
    AttachmentKind,
    Category,
    DetentionKind,
    FilerType,
    IncidentAge,
    Region,
)
from storage.models import AppealCounterRow, AppealRow, AttachmentRow
from storage.repositories import AppealRepository
from tests.storage.builders import Transaction, labour_appeal

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def make_appeal(**changes: Any) -> NewAppeal:
    kazakh = {
        "language": "kk",
        "story": "Жалақы үш ай бойы төленбеді.",
        "full_name": "Айгүл Серікқызы Нұрланова",
    }
    return labour_appeal(now=NOW, **{**kazakh, **changes})


async def create(transaction: Transaction, appeal: NewAppeal, now: datetime = NOW) -> str:
    async with transaction() as session:
        return await AppealRepository(session).create(appeal, now=now)


async def test_numbers_follow_a_sequence_per_prefix_and_year(transaction: Transaction) -> None:
    assert await create(transaction, make_appeal()) == "PAV-2026-000001"
    assert await create(transaction, make_appeal()) == "PAV-2026-000002"
    assert await create(transaction, make_appeal(region=Region.ASTANA)) == "AST-2026-000001"
    next_year = NOW.replace(year=2027)
    assert await create(transaction, make_appeal(), now=next_year) == "PAV-2027-000001"
    assert await create(transaction, make_appeal(region=Region.OUTSIDE)) == "CEN-2026-000001"
    assert await create(transaction, make_appeal()) == "PAV-2026-000003"


async def test_custody_appeal_is_numbered_by_the_institution_region(
    transaction: Transaction,
) -> None:
    appeal = make_appeal(
        filer_type=FilerType.CUSTODY,
        region=Region.ASTANA,
        institution_region=Region.KARAGANDA,
        detention_kind=DetentionKind.COLONY,
    )
    assert await create(transaction, appeal) == "KAR-2026-000001"


async def test_several_appeals_in_one_transaction(transaction: Transaction) -> None:
    async with transaction() as session:
        appeals = AppealRepository(session)
        first = await appeals.create(make_appeal(), now=NOW)
        second = await appeals.create(make_appeal(user_id=2), now=NOW)
        assert (first, second) == ("PAV-2026-000001", "PAV-2026-000002")
        assert await appeals.count() == 2


async def test_every_field_is_stored(transaction: Transaction) -> None:
    appeal = make_appeal(
        user_id=5_000_000_000,  # Telegram ids exceed 32 bits.
        chat_id=-1_001_234_567_890,
        filer_type=FilerType.OTHER_PERSON,
        category=Category.TORTURE_ILL_TREATMENT,
        category_suggested=Category.PRETRIAL_INVESTIGATION,
        urgent=True,
        old_complaint=True,
        subject_name="Ерлан Нұрланов",
        relation="брат",
        detention_kind=DetentionKind.PRETRIAL,
        institution="СИЗО-1",
        institution_region=Region.PAVLODAR,
        region=Region.ALMATY_CITY,
        body_complained="ДП г. Павлодар",
        incident_age=IncidentAge.MONTH,
        incident_date="12.02.2026",
        prior_complaint="прокуратура, ответа нет",
        request="Провести проверку",
        phone="+77011234567",
        iin="900101300123",
        address="Павлодар, ул. Лермонтова 1",
        confidential=True,
    )
    number = await create(transaction, appeal)
    async with transaction() as session:
        row = await session.scalar(select(AppealRow).where(AppealRow.number == number))
    assert row is not None
    expected = {
        field.name: getattr(appeal, field.name)
        for field in dataclasses.fields(NewAppeal)
        if field.name != "attachments"
    }
    assert {name: getattr(row, name) for name in expected} == expected
    assert (row.status, row.outcome) == (AppealStatus.NEW, None)
    assert row.created_at == row.updated_at == NOW
    assert row.created_at.tzinfo is UTC
    assert row.consent_at.tzinfo is UTC


async def test_duplicate_attachments_are_stored_once(transaction: Transaction) -> None:
    photo = Attachment(AttachmentKind.PHOTO, "file-1", "uniq-1", "image/jpeg", 3_000_000_000)
    resent_photo = Attachment(AttachmentKind.PHOTO, "file-1-again", "uniq-1", "image/jpeg", 1)
    voice = Attachment(AttachmentKind.VOICE, "file-2", "uniq-2", "audio/ogg", 4_096)
    number = await create(transaction, make_appeal(attachments=(photo, resent_photo, voice)))
    # The same file may be attached to another appeal.
    await create(transaction, make_appeal(attachments=(photo,)))
    async with transaction() as session:
        rows = (
            await session.scalars(
                select(AttachmentRow)
                .join(AppealRow)
                .where(AppealRow.number == number)
                .order_by(AttachmentRow.id)
            )
        ).all()
        assert await session.scalar(select(func.count()).select_from(AttachmentRow)) == 3
    stored = [
        Attachment(
            AttachmentKind(row.kind), row.file_id, row.file_unique_id, row.mime_type, row.file_size
        )
        for row in rows
    ]
    assert stored == [photo, voice]


async def test_list_for_user_shows_own_appeals_newest_first(transaction: Transaction) -> None:
    numbers = []
    for day, category in enumerate([Category.LABOUR, Category.HOUSING, Category.RELIGION]):
        appeal = make_appeal(user_id=1, category=category, urgent=category is Category.HOUSING)
        numbers.append(await create(transaction, appeal, now=NOW + timedelta(days=day)))
    await create(transaction, make_appeal(user_id=2), now=NOW + timedelta(days=10))
    async with transaction() as session:
        appeals = AppealRepository(session)
        ids = {
            row.number: row.id
            for row in await session.execute(select(AppealRow.number, AppealRow.id))
        }
        listed = await appeals.list_for_user(1)
        assert listed == [
            AppealSummary(
                number=numbers[2],
                category=Category.RELIGION,
                status=AppealStatus.NEW,
                outcome=None,
                urgent=False,
                created_at=NOW + timedelta(days=2),
                id=ids[numbers[2]],
            ),
            AppealSummary(
                number=numbers[1],
                category=Category.HOUSING,
                status=AppealStatus.NEW,
                outcome=None,
                urgent=True,
                created_at=NOW + timedelta(days=1),
                id=ids[numbers[1]],
            ),
            AppealSummary(
                number=numbers[0],
                category=Category.LABOUR,
                status=AppealStatus.NEW,
                outcome=None,
                urgent=False,
                created_at=NOW,
                id=ids[numbers[0]],
            ),
        ]
        assert isinstance(listed[0].category, Category)
        assert isinstance(listed[0].status, AppealStatus)
        assert [s.number for s in await appeals.list_for_user(1, limit=2)] == numbers[:0:-1]
        assert await appeals.list_for_user(3) == []
        assert await appeals.count() == 4


async def test_naive_time_is_refused(transaction: Transaction) -> None:
    async with transaction() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            await AppealRepository(session).create(make_appeal(), now=datetime(2026, 3, 1))


async def test_create_does_not_commit(
    session_pool: async_sessionmaker[AsyncSession], transaction: Transaction
) -> None:
    async with session_pool() as session:
        number = await AppealRepository(session).create(
            make_appeal(attachments=(Attachment(AttachmentKind.DOCUMENT, "f", "u"),)), now=NOW
        )
        assert number == "PAV-2026-000001"
        assert session.in_transaction()
        async with transaction() as other:
            assert await AppealRepository(other).count() == 0
        await session.rollback()
    async with transaction() as session:
        assert await AppealRepository(session).count() == 0
        for table in (AttachmentRow, AppealCounterRow):
            assert await session.scalar(select(func.count()).select_from(table)) == 0
    # The rolled-back appeal's number was never given out, so the next appeal gets it.
    assert await create(transaction, make_appeal()) == "PAV-2026-000001"


async def test_concurrent_creates_get_distinct_consecutive_numbers(
    transaction: Transaction,
) -> None:
    # Each create runs in its own session and transaction, as concurrent updates do.
    appeals = [make_appeal(user_id=100 + i % 7, chat_id=100 + i % 7) for i in range(50)]
    numbers = await asyncio.gather(*(create(transaction, appeal) for appeal in appeals))
    assert sorted(numbers) == [f"PAV-2026-{i:06d}" for i in range(1, 51)]
    async with transaction() as session:
        assert await AppealRepository(session).count() == 50
