"""Staff: registration, roles, deactivation and who watches which queue."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.casework import Role, Staff, all_queues
from dialogs.routing import CENTRAL, TRIAGE, queue_of_region
from dialogs.vocabulary import Region
from storage.casework import StaffRepository
from storage.models import StaffRow

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

PAVLODAR_REP = Staff(user_id=10, role=Role.REPRESENTATIVE, region=Region.PAVLODAR, name="Aida")
ASTANA_REP = Staff(user_id=11, role=Role.REPRESENTATIVE, region=Region.ASTANA, name="Bolat")
CENTRAL_STAFF = Staff(user_id=20, role=Role.CENTRAL, name="Dana")
ADMIN = Staff(user_id=5_000_000_001, role=Role.ADMIN, name="Admin")  # ids beyond 32 bits
EVERYONE = (PAVLODAR_REP, ASTANA_REP, CENTRAL_STAFF, ADMIN)


async def register(transaction: Transaction, *members: Staff, added_by: int | None = 1) -> None:
    async with transaction() as session:
        for member in members:
            await StaffRepository(session).upsert(member, added_by=added_by)


async def test_upsert_and_get_each_role(transaction: Transaction) -> None:
    await register(transaction, *EVERYONE)
    async with transaction() as session:
        staff = StaffRepository(session)
        for member in EVERYONE:
            assert await staff.get(member.user_id) == member
        assert await staff.get(999) is None
        got = await staff.get(PAVLODAR_REP.user_id)
        assert got is not None
        assert isinstance(got.role, Role)
        assert isinstance(got.region, Region)


async def test_upsert_changes_a_member_and_keeps_who_added_them(
    transaction: Transaction,
) -> None:
    await register(transaction, PAVLODAR_REP, added_by=1)
    moved = Staff(user_id=10, role=Role.REPRESENTATIVE, region=Region.KARAGANDA, name="Aida N.")
    await register(transaction, moved, added_by=2)
    async with transaction() as session:
        assert await StaffRepository(session).get(10) == moved
        row = await session.scalar(select(StaffRow).where(StaffRow.user_id == 10))
        assert row is not None
        assert row.added_by == 1
        assert row.updated_at >= row.created_at


@pytest.mark.parametrize("region", [None, Region.OUTSIDE])
async def test_a_representative_needs_a_region_of_kazakhstan(
    transaction: Transaction, region: Region | None
) -> None:
    async with transaction() as session:
        with pytest.raises(ValueError, match="region"):
            await StaffRepository(session).upsert(
                Staff(user_id=1, role=Role.REPRESENTATIVE, region=region), added_by=None
            )


async def test_watching_follows_the_roles(transaction: Transaction) -> None:
    await register(transaction, *EVERYONE)
    async with transaction() as session:
        staff = StaffRepository(session)
        assert await staff.watching(queue_of_region(Region.PAVLODAR)) == [
            PAVLODAR_REP,
            CENTRAL_STAFF,
            ADMIN,
        ]
        assert await staff.watching(queue_of_region(Region.ASTANA)) == [
            ASTANA_REP,
            CENTRAL_STAFF,
            ADMIN,
        ]
        for queue in (CENTRAL, TRIAGE, queue_of_region(Region.TURKESTAN)):
            assert await staff.watching(queue) == [CENTRAL_STAFF, ADMIN]
        # Exactly the domain's rule, for every queue.
        for queue in all_queues():
            expected = [m for m in sorted(EVERYONE, key=lambda m: m.user_id) if m.sees(queue)]
            assert await staff.watching(queue) == expected


async def test_deactivated_staff_watch_nothing(transaction: Transaction) -> None:
    await register(transaction, *EVERYONE)
    async with transaction() as session:
        staff = StaffRepository(session)
        assert await staff.deactivate(PAVLODAR_REP.user_id) is True
        assert await staff.deactivate(PAVLODAR_REP.user_id) is False  # already inactive
        assert await staff.deactivate(12345) is False  # unknown
        assert await staff.deactivate(ADMIN.user_id) is True
    async with transaction() as session:
        staff = StaffRepository(session)
        got = await staff.get(PAVLODAR_REP.user_id)
        assert got is not None
        assert got.active is False
        assert await staff.watching(queue_of_region(Region.PAVLODAR)) == [CENTRAL_STAFF]
        # Reactivating is an upsert.
        await staff.upsert(PAVLODAR_REP, added_by=None)
        assert await staff.watching(queue_of_region(Region.PAVLODAR)) == [
            PAVLODAR_REP,
            CENTRAL_STAFF,
        ]


async def test_list_all_shows_everyone_by_role_region_and_id(transaction: Transaction) -> None:
    await register(transaction, *EVERYONE)
    async with transaction() as session:
        await StaffRepository(session).deactivate(ASTANA_REP.user_id)
    async with transaction() as session:
        listed = await StaffRepository(session).list_all()
    inactive_astana = Staff(
        user_id=11, role=Role.REPRESENTATIVE, region=Region.ASTANA, name="Bolat", active=False
    )
    assert listed == [ADMIN, CENTRAL_STAFF, inactive_astana, PAVLODAR_REP]
