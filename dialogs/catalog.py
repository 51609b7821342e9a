"""Jurisdiction, competent bodies and hotlines per category, read from `data/categories.json`.

The texts themselves are Fluent keys (`juris-<category>-can` and so on); this file holds only
the facts that are data: which bodies, which hotlines, which categories are urgent by nature,
and the time limits the bot quotes.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dialogs.vocabulary import Category

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class CategoryInfo:
    id: Category
    urgent: bool
    bodies: tuple[str, ...]
    hotlines: tuple[str, ...]
    cannot_overturn: bool


@dataclass(frozen=True)
class Hotline:
    id: str
    number: str
    confirmed: bool


@dataclass(frozen=True)
class Catalog:
    response_working_days: int
    old_complaint_days: int
    categories: dict[Category, CategoryInfo]
    hotlines: dict[str, Hotline]
    emergency_hotlines: tuple[str, ...]

    def info(self, category: Category) -> CategoryInfo:
        return self.categories[category]


@cache
def load_catalog(path: Path | None = None) -> Catalog:
    """Read the catalogue once; it is immutable data shipped with the code."""
    raw = json.loads((path or DATA_DIR / "categories.json").read_text(encoding="utf-8"))
    categories = {
        Category(cid): CategoryInfo(
            id=Category(cid),
            urgent=bool(c["urgent"]),
            bodies=tuple(c["bodies"]),
            hotlines=tuple(c.get("hotlines", ())),
            cannot_overturn=bool(c.get("ombudsman_cannot_overturn", False)),
        )
        for cid, c in raw["categories"].items()
    }
    hotlines = {
        hid: Hotline(id=hid, number=str(h["number"]), confirmed=bool(h.get("confirmed", False)))
        for hid, h in raw["hotlines"].items()
    }
    return Catalog(
        response_working_days=int(raw["response_working_days"]),
        old_complaint_days=int(raw["old_complaint_days"]),
        categories=categories,
        hotlines=hotlines,
        emergency_hotlines=tuple(raw["emergency_hotlines"]),
    )
