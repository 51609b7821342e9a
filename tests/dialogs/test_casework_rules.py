"""dialogs.casework.refusal on its own: the assignee exception and deactivated members."""

from datetime import UTC, datetime

import pytest

from dialogs.casework import Action, CaseView, Role, Staff, refusal
from dialogs.routing import queue_of_region
from dialogs.vocabulary import AppealStatus, Category, FilerType, Region

CASE = CaseView(
    id=1, number="KAR-2026-000001", status=AppealStatus.IN_PROGRESS,
    queue=queue_of_region(Region.KARAGANDA), category=Category.LABOUR, urgent=False,
    region=Region.KARAGANDA, filer_type=FilerType.SELF, subject_name=None, institution=None,
    story_excerpt="", attachments=0, created_at=datetime(2026, 3, 2, tzinfo=UTC), due_at=None,
    assignee_id=7, outcome=None, old_complaint=False, language="ru", chat_id=1, version=2,
)  # fmt: skip


@pytest.mark.parametrize("action", list(Action))
def test_the_assignee_keeps_a_case_from_another_region_while_active(action):
    # Their region changed after they took it: the case stays theirs (storage list_queue).
    moved = Staff(7, Role.REPRESENTATIVE, Region.PAVLODAR)
    assert refusal(moved, CASE, action) in (None, "staff-already-mine")


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_a_deactivated_member_may_do_nothing_not_even_with_their_own_cases(action, role):
    region = Region.KARAGANDA if role is Role.REPRESENTATIVE else None
    former = Staff(7, role, region, active=False)
    assert refusal(former, CASE, action) == "staff-no-access"
