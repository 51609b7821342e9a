"""Which queue an appeal goes to: data, with a triage fallback.

Each regional representative's office has a queue named after its region; the central office
has its own. Appeals about a person in custody go by the institution's region, not the
filer's. An urgent appeal also goes, as a copy, to the central office.
"""

from dataclasses import dataclass

from dialogs.vocabulary import Category, Region

CENTRAL = "central"
TRIAGE = "triage"

# Categories that, in any region, belong to the central office first. Empty today: the
# Ombudsman's rules give representatives their territory for every category. Kept as data so
# an office can change it without touching the code.
CENTRAL_CATEGORIES: frozenset[Category] = frozenset()


@dataclass(frozen=True)
class Route:
    queue: str
    copies: tuple[str, ...] = ()


def queue_of_region(region: Region) -> str:
    return f"region:{region.value}"


def route(category: Category, region: Region | None, *, urgent: bool) -> Route:
    """Route an appeal to its queue; anything the rules cannot place goes to triage."""
    if region is None:
        queue = TRIAGE
    elif region is Region.OUTSIDE or category in CENTRAL_CATEGORIES:
        queue = CENTRAL
    else:
        queue = queue_of_region(region)
    copies = (CENTRAL,) if urgent and queue != CENTRAL else ()
    return Route(queue=queue, copies=copies)
