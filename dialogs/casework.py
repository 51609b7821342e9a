"""Working an appeal: staff roles, who may do what, and the appeal's life after submission.

Pure rules; storage applies them inside a transaction and re-reads the appeal first, so a
decision is always taken on the current state (two representatives pressing "Take" at once:
the second sees it taken and is told so).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dialogs.routing import CENTRAL, TRIAGE, queue_of_region
from dialogs.vocabulary import (
    KAZAKHSTAN_REGIONS,
    AppealStatus,
    Category,
    FilerType,
    Outcome,
    Region,
)


class Role(StrEnum):
    REPRESENTATIVE = "representative"  # the Ombudsman's representative in one region
    CENTRAL = "central"  # central-office staff: every queue
    ADMIN = "admin"  # registers staff; sees and does everything


class Action(StrEnum):
    TAKE = "take"
    RELEASE = "release"
    ASK = "ask"
    NOTE = "note"
    REASSIGN = "reassign"
    FORWARD = "forward"
    CLOSE = "close"


class EventKind(StrEnum):
    """Entries of an appeal's thread, in the order they happened."""

    SUBMITTED = "submitted"
    TAKEN = "taken"
    RELEASED = "released"
    QUESTION = "question"  # staff -> citizen, relayed by the bot
    ANSWER = "answer"  # citizen -> staff
    CITIZEN_INFO = "citizen_info"  # the citizen added something on their own
    NOTE = "note"  # internal: never shown to the citizen
    REASSIGNED = "reassigned"
    FORWARDED = "forwarded"
    CLOSED = "closed"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    VIEWED = "viewed"  # audit: a staff member opened the appeal (not a change)
    # Personal data and texts erased (storage.retention); data: {"reason": ...}, nothing else.
    ANONYMISED = "anonymised"


@dataclass(frozen=True)
class Staff:
    user_id: int
    role: Role
    region: Region | None = None
    name: str = ""
    active: bool = True

    def sees(self, queue: str) -> bool:
        """Regional representatives see their region's queue; central staff and admins all."""
        if not self.active:
            return False
        if self.role is Role.REPRESENTATIVE:
            return self.region is not None and queue == queue_of_region(self.region)
        return True

    def visible_queues(self, all_queues: list[str]) -> list[str]:
        return [q for q in all_queues if self.sees(q)]


@dataclass(frozen=True)
class CaseView:
    """What staff see of an appeal, and what the rules decide on."""

    id: int
    number: str
    status: AppealStatus
    queue: str
    category: Category
    urgent: bool
    region: Region
    filer_type: FilerType
    subject_name: str | None
    institution: str | None
    story_excerpt: str
    attachments: int
    created_at: datetime
    due_at: datetime | None
    assignee_id: int | None
    outcome: Outcome | None
    old_complaint: bool
    language: str
    chat_id: int
    version: int  # bumped on every change: a button drawn for an older version is stale
    withdrawn: bool = False
    forwarded_to: str | None = None


def all_queues() -> list[str]:
    return [CENTRAL, TRIAGE, *(queue_of_region(r) for r in KAZAKHSTAN_REGIONS)]


def refusal(staff: Staff, case: CaseView, action: Action) -> str | None:
    """Why `staff` may not do `action` on `case` now (a Fluent key), or None if allowed."""
    # A deactivated member keeps the appeals assigned to them (storage deactivate), but may no
    # longer look at or act on them: without this, the assignee exception below let them.
    if not staff.active:
        return "staff-no-access"
    if not staff.sees(case.queue) and case.assignee_id != staff.user_id:
        return "staff-no-access"
    if case.status is AppealStatus.CLOSED:
        return None if action is Action.NOTE else "staff-already-closed"
    owner = case.assignee_id == staff.user_id
    lead = staff.role in (Role.CENTRAL, Role.ADMIN)
    if action is Action.TAKE:
        if case.assignee_id is None:
            return None
        return "staff-already-mine" if owner else "staff-taken-by-other"
    if action is Action.NOTE:
        return None
    if action is Action.REASSIGN:
        return None if owner or lead or case.assignee_id is None else "staff-not-yours"
    # release, ask, forward, close: the person working the appeal (or an admin)
    if case.assignee_id is None:
        return "staff-take-first"
    return None if owner or staff.role is Role.ADMIN else "staff-not-yours"


def status_after(action: Action) -> AppealStatus | None:
    """The appeal's new status after an allowed action (None: unchanged)."""
    return {
        Action.TAKE: AppealStatus.IN_PROGRESS,
        Action.RELEASE: AppealStatus.NEW,
        Action.REASSIGN: AppealStatus.NEW,
        Action.CLOSE: AppealStatus.CLOSED,
    }.get(action)


# What the citizen is told about each change, in neutral words (a shared phone may show it).
CITIZEN_NOTICE: dict[EventKind, str] = {
    EventKind.TAKEN: "notice-taken",
    EventKind.QUESTION: "notice-question",
    EventKind.REASSIGNED: "notice-reassigned",
    EventKind.FORWARDED: "notice-forwarded",
    EventKind.CLOSED: "notice-closed",
}
