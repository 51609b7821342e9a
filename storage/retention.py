"""Retention: closed appeals lose their personal data after a while; the figures stay.

    python -m storage.retention [--dry-run] [--days N] [--database-url URL]

Anonymising an appeal erases what identifies a person or what they wrote: the names, phone,
IIN and its blind index, address, the story and every other free text, the texts of its thread
(questions, answers, notes, the closing message, the body it was forwarded to), and its files
(the rows: the files themselves are on Telegram's servers, out of the bot's reach). The
appeal is detached from the Telegram account (user and chat become ANONYMOUS_USER_ID). What the
annual report counts stays: number, category, region, queue, status, outcome, dates, flags. An
ANONYMISED event with no personal data records when and why. It is idempotent: an anonymised
appeal is never touched again. Open appeals are never anonymised: the office must answer them.

When. A closed appeal is anonymised `retention_days` after it was closed (RETENTION_DAYS;
0 turns this off). An appeal whose citizen asked to be forgotten (/forget) while it was open
is anonymised FORGET_GRACE after it is closed, so the citizen can still read the answer behind
the closing notice's button; the citizen's closed appeals are anonymised at once
(`forget_citizen`).

The legal storage period for appeals to the Ombudsman is not confirmed by the project's
sources (see README, "Encryption and retention"): the default is a placeholder for the office
to set, not a legal fact.

Like the repositories, the functions taking a session work inside the caller's transaction.
"""

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dialogs.casework import EventKind
from dialogs.vocabulary import AppealStatus
from storage.crypto import KeyConfigError, Keyring, install_keyring
from storage.db import create_engine, create_session_pool, schema_is_current
from storage.models import AppealEventRow, AppealRow, AttachmentRow, DraftRow, UserRow
from storage.repositories import UserRepository, _require_aware, forget_remembered

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 1825  # a placeholder (five years): no source confirms a period
# Time for the citizen to read the answer after a forgotten appeal is closed.
FORGET_GRACE = timedelta(days=30)
# Telegram's user ids are positive: 0 is nobody, the owner of every anonymised appeal.
ANONYMOUS_USER_ID = 0
SWEEP_BATCH = 500
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./ombudsman.db"

REASON_RETENTION = "retention"
REASON_CITIZEN = "citizen_request"


@dataclass(frozen=True)
class ForgetResult:
    """What /forget did: appeals anonymised now, and open ones marked for later."""

    anonymised: int
    still_open: int


async def anonymise(
    session: AsyncSession, appeal_ids: Sequence[int], *, now: datetime, reason: str
) -> list[int]:
    """Anonymise these appeals if they are closed and not anonymised yet; return which were."""
    _require_aware(now, "now")
    if not appeal_ids:
        return []
    await UserRepository(session).ensure(ANONYMOUS_USER_ID)
    statement = (
        update(AppealRow)
        .where(
            AppealRow.id.in_(list(appeal_ids)),
            AppealRow.status == AppealStatus.CLOSED.value,
            AppealRow.anonymised_at.is_(None),
        )
        .values(
            user_id=ANONYMOUS_USER_ID,
            chat_id=ANONYMOUS_USER_ID,
            # NOT NULL columns get an (encrypted) empty text; the others are emptied.
            full_name="",
            story="",
            subject_name=None,
            phone=None,
            iin=None,
            iin_digest=None,
            address=None,
            relation=None,
            institution=None,
            body_complained=None,
            incident_date=None,
            prior_complaint=None,
            request=None,
            forwarded_to=None,
            anonymised_at=now,
            version=AppealRow.version + 1,
            updated_at=now,
        )
        .returning(AppealRow.id)
        .execution_options(synchronize_session=False)
    )
    done = sorted((await session.scalars(statement)).all())
    if not done:
        return []
    await session.execute(
        update(AppealEventRow)
        .where(AppealEventRow.appeal_id.in_(done))
        .values(text=None)
        .execution_options(synchronize_session=False)
    )
    # A forwarding's data is the body in the staff's words; the other kinds' data are ids,
    # queues and outcomes.
    await session.execute(
        update(AppealEventRow)
        .where(
            AppealEventRow.appeal_id.in_(done),
            AppealEventRow.kind == EventKind.FORWARDED.value,
        )
        .values(data=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(AttachmentRow)
        .where(AttachmentRow.appeal_id.in_(done))
        .execution_options(synchronize_session=False)
    )
    for appeal_id in done:
        session.add(
            AppealEventRow(
                appeal_id=appeal_id,
                kind=EventKind.ANONYMISED.value,
                author_staff_id=None,
                data={"reason": reason},
                created_at=now,
            )
        )
    await session.flush()
    return done


async def due(
    session: AsyncSession, *, now: datetime, retention_days: int, limit: int = SWEEP_BATCH
) -> list[tuple[int, str]]:
    """The closed appeals to anonymise at `now`, oldest closing first, with the reason."""
    _require_aware(now, "now")
    if retention_days < 0:
        raise ValueError(f"retention_days must not be negative, got {retention_days}")
    forgotten = and_(
        AppealRow.forget_requested_at.is_not(None), AppealRow.closed_at < now - FORGET_GRACE
    )
    expired = AppealRow.closed_at < now - timedelta(days=retention_days)
    statement = (
        select(AppealRow.id, AppealRow.forget_requested_at)
        .where(
            AppealRow.status == AppealStatus.CLOSED.value,
            AppealRow.anonymised_at.is_(None),
            or_(forgotten, expired if retention_days else false()),
        )
        .order_by(AppealRow.closed_at, AppealRow.id)
        .limit(limit)
    )
    return [
        (row.id, REASON_RETENTION if row.forget_requested_at is None else REASON_CITIZEN)
        for row in await session.execute(statement)
    ]


async def sweep(
    session: AsyncSession, *, now: datetime, retention_days: int, limit: int = SWEEP_BATCH
) -> int:
    """Anonymise up to `limit` appeals that are due; return how many were."""
    found = await due(session, now=now, retention_days=retention_days, limit=limit)
    count = 0
    for reason in (REASON_RETENTION, REASON_CITIZEN):
        ids = [appeal_id for appeal_id, why in found if why == reason]
        count += len(await anonymise(session, ids, now=now, reason=reason))
    return count


async def run_retention(
    session_pool: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    retention_days: int,
    batches: int = 100,
) -> int:
    """Sweep in batches, one transaction each, until nothing is due; return the total.

    For the bot's daily hook and the command line: an interrupted run keeps what it did, and
    the next run goes on (anonymised appeals are not due any more).
    """
    total = 0
    for _ in range(batches):
        async with session_pool() as session, session.begin():
            count = await sweep(session, now=now, retention_days=retention_days)
        total += count
        if count < SWEEP_BATCH:
            break
    return total


async def forget_preview(session: AsyncSession, user_id: int) -> ForgetResult:
    """What forget_citizen would do now: closed appeals to anonymise, open ones to mark."""
    closed = AppealRow.status == AppealStatus.CLOSED.value
    statement = select(
        func.count().filter(closed, AppealRow.anonymised_at.is_(None)),
        func.count().filter(~closed),
    ).where(AppealRow.user_id == user_id)
    anonymise_now, still_open = (await session.execute(statement)).one()
    return ForgetResult(anonymised=anonymise_now, still_open=still_open)


async def forget_citizen(session: AsyncSession, user_id: int, *, now: datetime) -> ForgetResult:
    """The citizen's /forget: erase what can be erased now, mark what must wait.

    Deletes the unsent draft, anonymises the closed appeals at once, marks the open ones to be
    anonymised after they are closed (FORGET_GRACE), and forgets the stored language and
    consent; the user's row goes too when no appeal refers to it any more.
    """
    _require_aware(now, "now")
    if user_id == ANONYMOUS_USER_ID:
        raise ValueError("the anonymous owner cannot be forgotten")
    forget_remembered(session, user_id)
    await session.execute(
        delete(DraftRow)
        .where(DraftRow.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    closed = await session.scalars(
        select(AppealRow.id).where(
            AppealRow.user_id == user_id,
            AppealRow.status == AppealStatus.CLOSED.value,
            AppealRow.anonymised_at.is_(None),
        )
    )
    anonymised = await anonymise(session, list(closed), now=now, reason=REASON_CITIZEN)
    still_open = await session.execute(
        update(AppealRow)
        .where(AppealRow.user_id == user_id, AppealRow.status != AppealStatus.CLOSED.value)
        .values(forget_requested_at=func.coalesce(AppealRow.forget_requested_at, now))
        .returning(AppealRow.id)
        .execution_options(synchronize_session=False)
    )
    open_count = len(still_open.all())
    if open_count:
        # The row stays (the open appeals refer to it); what it remembered goes.
        await session.execute(
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(language=None, consent_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    else:
        await session.execute(
            delete(UserRow)
            .where(UserRow.id == user_id)
            .execution_options(synchronize_session=False)
        )
    return ForgetResult(anonymised=len(anonymised), still_open=open_count)


# --- Command line. ---


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m storage.retention",
        description="Anonymise the closed appeals whose retention period is over.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="only count what would be anonymised"
    )
    parser.add_argument(
        "--days",
        type=int,
        help=f"retention in days after closing (default: $RETENTION_DAYS, else "
        f"{DEFAULT_RETENTION_DAYS}; 0: only the citizens' requests)",
    )
    parser.add_argument(
        "--database-url",
        help=f"SQLAlchemy async URL (default: $DATABASE_URL, else {DEFAULT_DATABASE_URL})",
    )
    return parser


async def _count_due(engine: AsyncEngine, now: datetime, days: int) -> int:
    async with create_session_pool(engine)() as session:
        # Without a limit: a dry run changes nothing, so it cannot page by its progress.
        return len(await due(session, now=now, retention_days=days, limit=10**9))


async def _main(url: str, days: int, dry_run: bool) -> tuple[str, int]:
    engine = create_engine(url)
    try:
        if not await schema_is_current(engine):
            return "the database is not migrated to the newest schema", -1
        now = datetime.now(UTC)
        if dry_run:
            return "would anonymise", await _count_due(engine, now, days)
        count = await run_retention(create_session_pool(engine), now=now, retention_days=days)
        return "anonymised", count
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    days = args.days
    if days is None:
        raw = os.environ.get("RETENTION_DAYS", "").strip()
        try:
            days = int(raw) if raw else DEFAULT_RETENTION_DAYS
        except ValueError:
            parser.error("RETENTION_DAYS is not a whole number of days")
    if days < 0:
        parser.error("the retention must not be negative")
    if not args.dry_run:
        # Anonymising writes encrypted (empty) values, so it needs the keys; counting does not.
        try:
            install_keyring(Keyring.from_environment())
        except KeyConfigError as error:
            parser.error(f"{error} (see README, 'Encryption and retention')")
    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        what, count = asyncio.run(_main(url, days, args.dry_run))
    except (OSError, SQLAlchemyError) as error:
        print(
            f"{parser.prog}: error: cannot use the database: {type(error).__name__}",
            file=sys.stderr,
        )
        return 2
    if count < 0:
        print(f"{parser.prog}: error: {what}: run `alembic upgrade head`", file=sys.stderr)
        return 2
    # Counts only: never a number, a name or a text of an appeal.
    print(f"{what} {count} closed appeal(s) (retention {days} days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
