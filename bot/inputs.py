"""Telegram input turned into the domain's values: attachments, phones, languages."""

import phonenumbers
from aiogram.types import Message

from dialogs.appeal import Attachment
from dialogs.vocabulary import LANGUAGES, AttachmentKind

# Bots may download files of up to 20 MB through getFile; a larger file could never reach the
# representative, so we say so at once.
MAX_FILE_BYTES = 20 * 1024 * 1024
ACCEPTED_DOCUMENTS = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
    "application/rtf",
    "text/plain",
)


class FileRejected(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def attachment_of(message: Message) -> Attachment | None:
    """The file in a message as an Attachment; None if the message carries no file."""
    if message.photo:
        p = message.photo[-1]  # the largest size
        return _checked(
            AttachmentKind.PHOTO, p.file_id, p.file_unique_id, "image/jpeg", p.file_size
        )
    for kind, media in (
        (AttachmentKind.VOICE, message.voice),
        (AttachmentKind.AUDIO, message.audio),
        (AttachmentKind.VIDEO, message.video or message.video_note),
    ):
        if media is not None:
            mime = getattr(media, "mime_type", None)
            return _checked(kind, media.file_id, media.file_unique_id, mime, media.file_size)
    if message.document:
        d = message.document
        mime = (d.mime_type or "").lower()
        if not (mime.startswith("image/") or mime in ACCEPTED_DOCUMENTS):
            raise FileRejected("file-wrong-type")
        return _checked(AttachmentKind.DOCUMENT, d.file_id, d.file_unique_id, mime, d.file_size)
    return None


def _checked(
    kind: AttachmentKind, file_id: str, unique: str, mime: str | None, size: int | None
) -> Attachment:
    if size is not None and size > MAX_FILE_BYTES:
        raise FileRejected("file-too-large")
    return Attachment(
        kind=kind, file_id=file_id, file_unique_id=unique, mime_type=mime, file_size=size
    )


def normalize_phone(text: str) -> str | None:
    """A typed or shared phone in E.164, or None. Numbers without a country code are read as
    Kazakhstan's (+7), which also covers the 8-7xx trunk prefix people often type."""
    raw = text.strip()
    if raw.startswith("8") and len(phonenumbers.normalize_digits_only(raw)) == 11:
        raw = "+7" + phonenumbers.normalize_digits_only(raw)[1:]
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else "KZ")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def guess_language(language_code: str | None, default: str) -> str:
    """Telegram's language_code is only a first guess at the language."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default
