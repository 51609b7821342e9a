"""aiogram's per-method response models are built once, not again after each collection."""

import gc
import weakref

from aiogram.methods import Response
from aiogram.types import Message

from bot.factory import build_bot


async def test_response_models_survive_garbage_collection():
    bot = build_bot("42:TEST")
    try:
        # Rebuilding one costs milliseconds of pydantic schema work per Bot API answer.
        models = [weakref.ref(Response[Message]), weakref.ref(Response[Message | bool])]
        gc.collect()
        assert all(model() is not None for model in models)
    finally:
        await bot.session.close()
