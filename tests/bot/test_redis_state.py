"""With Redis, a pending input survives a restart and another process sees it."""

import os
import re

import pytest
from redis.asyncio import Redis

from bot.factory import redis_state
from bot.texts import Texts
from dialogs.casework import Role, Staff
from dialogs.vocabulary import Region
from storage.casework import StaffRepository
from storage.repositories import UserRepository
from tests.bot.test_intake_flow import file_to_summary
from tests.conftest import Harness

T = Texts()
REP = 5001


@pytest.fixture
async def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests need a server")
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()
    return url


@pytest.mark.redis
async def test_a_representatives_pending_question_survives_a_restart(session_pool, redis_url):
    async with session_pool() as s, s.begin():
        await StaffRepository(s).upsert(
            Staff(REP, Role.REPRESENTATIVE, Region.PAVLODAR), added_by=None
        )
        await UserRepository(s).ensure(REP)
        await UserRepository(s).set_language(REP, "en")
    storage, isolation = redis_state(redis_url)
    h = Harness(session_pool, storage=storage, events_isolation=isolation)
    citizen = h.citizen(1001, language_code="en")
    await file_to_summary(citizen, "en")
    receipt = "\n".join(await citizen.click(T.get("en", "button-submit")))
    number = re.search(r"PAV-\d{4}-\d{6}", receipt).group(0)
    rep = h.citizen(REP, language_code="en")
    await rep.click(T.get("en", "staff-btn-take"))
    await rep.click(T.get("en", "staff-btn-ask"))
    await storage.close()

    # Another process (or this one after a restart) picks up the pending question.
    storage, isolation = redis_state(redis_url)
    h.dispatcher_options.update(storage=storage, events_isolation=isolation)
    h.restart()
    await rep.send("Do you have the dismissal order?")
    assert rep.last_text() == T.get("en", "staff-question-sent", number=number)
    assert citizen.last_text() == T.get("en", "notice-question", number=number)
    await storage.close()
