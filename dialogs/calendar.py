"""Working days in Kazakhstan, for response deadlines.

Public holidays are data (`data/holidays_kz.json`): fixed dates by the Labour Code and the law
on holidays, Kurban Ait by the government each year, and the days moved by government decree
(a Saturday made a working day, a bridge day made a rest day). The decree dates must be added
each year when published; until then the calendar counts only weekends and holidays.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from dialogs.vocabulary import KAZAKHSTAN_TIME

DATA = Path(__file__).parent / "data" / "holidays_kz.json"


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    extra_rest_days: frozenset[date]
    extra_working_days: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_rest_days or day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (the day of receipt does not count)."""
        day = start
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def due_at(self, received: datetime, days: int) -> datetime:
        """The end of the last working day, in Kazakhstan time."""
        local = received.astimezone(KAZAKHSTAN_TIME).date()
        last = self.add_working_days(local, days)
        return datetime.combine(last, time(18, 0), tzinfo=KAZAKHSTAN_TIME)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end is earlier)."""
        sign = 1 if end >= start else -1
        a, b = (start, end) if sign > 0 else (end, start)
        count = sum(self.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
        return sign * count


@cache
def load_calendar(path: Path = DATA) -> WorkCalendar:
    raw = json.loads(path.read_text(encoding="utf-8"))

    def dates(key: str) -> frozenset[date]:
        return frozenset(date.fromisoformat(d) for d in raw.get(key, []))

    return WorkCalendar(dates("holidays"), dates("extra_rest_days"), dates("extra_working_days"))
