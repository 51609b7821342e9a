"""What the storage tests build again and again: a transaction and a citizen's appeal."""

import dataclasses
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.appeal import NewAppeal
from dialogs.vocabulary import Category, FilerType, Region

# The `transaction` fixture (conftest.py): a session in a transaction committed on exit.
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def labour_appeal(*, now: datetime, **changes: Any) -> NewAppeal:
    """A citizen's own labour appeal from Pavlodar, consented to ten minutes before `now`."""
    appeal = NewAppeal(
        user_id=1,
        chat_id=1,
        language="ru",
        consent_at=now - timedelta(minutes=10),
        filer_type=FilerType.SELF,
        category=Category.LABOUR,
        story="Зарплату не платят три месяца.",
        region=Region.PAVLODAR,
        full_name="Айгүл Нұрланова",
    )
    return dataclasses.replace(appeal, **changes)
