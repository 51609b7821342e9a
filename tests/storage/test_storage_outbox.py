"""The outbox's rows: leases, per-chat order, retries and failures, on both databases."""

import asyncio
from datetime import UTC, datetime, timedelta

from storage.outbox import Letter, OutboxRepository

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=30)


def letter(chat_id: int, text: str) -> Letter:
    return Letter(
        chat_id=chat_id, method="sendMessage", payload={"chat_id": chat_id, "text": text}
    )


async def test_letters_are_leased_to_their_writer_unless_the_chat_has_older_ones(transaction):
    async with transaction() as s:
        leased = await OutboxRepository(s).add(
            [letter(1, "a"), letter(1, "b"), letter(2, "c")], now=NOW, lease_until=LEASE
        )
        assert [e.payload["text"] for e in leased] == ["a", "b", "c"]
    async with transaction() as s:
        # Chat 1 still owes "a" and "b": "d" must wait for them; chat 3 is free.
        leased = await OutboxRepository(s).add(
            [letter(1, "d"), letter(3, "e")], now=NOW, lease_until=LEASE
        )
        assert [e.payload["text"] for e in leased] == ["e"]
        assert await OutboxRepository(s).counts() == {"waiting": 5, "failed": 0}


async def test_the_sweep_takes_only_the_first_due_letter_of_each_chat(transaction):
    async with transaction() as s:
        await OutboxRepository(s).add(
            [letter(1, "a"), letter(1, "b"), letter(2, "c")], now=NOW, lease_until=None
        )
    async with transaction() as s:
        claimed = await OutboxRepository(s).claim(now=NOW, lease_until=LEASE, limit=10)
        assert [e.payload["text"] for e in claimed] == ["a", "c"]
        # Leased now: nobody else gets them until the lease runs out.
        assert await OutboxRepository(s).claim(now=NOW, lease_until=LEASE, limit=10) == []
    async with transaction() as s:
        await OutboxRepository(s).delivered([claimed[0].id])
    async with transaction() as s:
        # "b" is first in its chat's line now; "c" is still leased.
        claimed = await OutboxRepository(s).claim(now=NOW, lease_until=LEASE, limit=10)
        assert [e.payload["text"] for e in claimed] == ["b"]
    async with transaction() as s:
        # A crashed deliverer's lease runs out: its letters are claimed again.
        later = LEASE + timedelta(seconds=1)
        again = await OutboxRepository(s).claim(now=later, lease_until=later, limit=10)
        assert sorted(e.payload["text"] for e in again) == ["b", "c"]


async def test_retry_after_keeps_the_letter_and_its_chat_waiting_until_then(transaction):
    async with transaction() as s:
        first, second = await OutboxRepository(s).add(
            [letter(1, "a"), letter(1, "b")], now=NOW, lease_until=LEASE
        )
        await OutboxRepository(s).retry_later(first.id, not_before=NOW + timedelta(seconds=5))
        await OutboxRepository(s).release([second.id])
    async with transaction() as s:
        # Neither the delayed letter nor the one behind it goes out early.
        assert await OutboxRepository(s).claim(now=NOW, lease_until=LEASE, limit=10) == []
    async with transaction() as s:
        then = NOW + timedelta(seconds=5)
        claimed = await OutboxRepository(s).claim(now=then, lease_until=LEASE, limit=10)
        assert [(e.payload["text"], e.attempts) for e in claimed] == [("a", 1)]


async def test_a_letter_refused_for_good_is_kept_but_blocks_nobody(transaction):
    async with transaction() as s:
        first, _ = await OutboxRepository(s).add(
            [letter(1, "a"), letter(1, "b")], now=NOW, lease_until=LEASE
        )
        await OutboxRepository(s).failed(first.id, now=NOW)
    async with transaction() as s:
        claimed = await OutboxRepository(s).claim(
            now=LEASE + timedelta(seconds=1), lease_until=LEASE, limit=10
        )
        assert [e.payload["text"] for e in claimed] == ["b"]
        assert await OutboxRepository(s).counts() == {"waiting": 1, "failed": 1}
        # A new letter to that chat is not held back by the failed one either.
        await OutboxRepository(s).delivered([claimed[0].id])
        leased = await OutboxRepository(s).add([letter(1, "c")], now=NOW, lease_until=LEASE)
        assert [e.payload["text"] for e in leased] == ["c"]
    async with transaction() as s:
        # Kept for an operator for a while, then dropped.
        assert await OutboxRepository(s).forget_failed_before(NOW) == 0
        assert await OutboxRepository(s).forget_failed_before(NOW + timedelta(days=1)) == 1
        assert await OutboxRepository(s).counts() == {"waiting": 1, "failed": 0}


async def test_concurrent_sweeps_never_claim_the_same_letter(transaction):
    async with transaction() as s:
        await OutboxRepository(s).add(
            [letter(chat, str(chat)) for chat in range(1, 201)], now=NOW, lease_until=None
        )

    async def sweep() -> list[int]:
        taken: list[int] = []
        while True:
            async with transaction() as s:
                claimed = await OutboxRepository(s).claim(now=NOW, lease_until=LEASE, limit=7)
            if not claimed:
                return taken
            taken += [e.id for e in claimed]

    results = await asyncio.gather(*(sweep() for _ in range(5)))
    everything = [i for r in results for i in r]
    assert len(everything) == len(set(everything)) == 200
