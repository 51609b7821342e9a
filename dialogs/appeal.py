"""An appeal as the domain sees it: what the intake collects and what storage hands back."""

from dataclasses import dataclass, field
from datetime import datetime

from dialogs.vocabulary import (
    AppealStatus,
    AttachmentKind,
    Category,
    DetentionKind,
    FilerType,
    IncidentAge,
    Outcome,
    Region,
)


@dataclass(frozen=True)
class Attachment:
    kind: AttachmentKind
    file_id: str
    # Telegram's file_unique_id is stable across bots and re-sends: it lets us drop duplicates.
    file_unique_id: str
    mime_type: str | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class NewAppeal:
    """Everything a finished intake hands to storage."""

    user_id: int
    chat_id: int
    language: str
    consent_at: datetime
    filer_type: FilerType
    category: Category
    story: str
    region: Region
    full_name: str
    urgent: bool = False
    old_complaint: bool = False
    category_suggested: Category | None = None
    subject_name: str | None = None
    relation: str | None = None
    detention_kind: DetentionKind | None = None
    institution: str | None = None
    institution_region: Region | None = None
    body_complained: str | None = None
    incident_age: IncidentAge | None = None
    incident_date: str | None = None
    prior_complaint: str | None = None
    request: str | None = None
    phone: str | None = None
    iin: str | None = None
    address: str | None = None
    confidential: bool = False
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AppealSummary:
    """What a citizen's /status shows: no personal data beyond the number and category."""

    number: str
    category: Category
    status: AppealStatus
    outcome: Outcome | None
    urgent: bool
    created_at: datetime
    id: int | None = None
