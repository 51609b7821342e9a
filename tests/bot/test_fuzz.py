"""Random sequences of updates from a citizen (hostile, broken or just odd) through the
production dispatcher: nothing crashes, every request fits the Bot API, the draft stays valid.
"""

import itertools
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.texts import Texts
from dialogs.intake import IntakeState
from storage.db import create_engine, create_session_pool, upgrade_to_head
from storage.models import DraftRow
from tests.conftest import Harness

T = Texts()
USER = {"id": 4242, "is_bot": False, "first_name": "F", "language_code": "kk"}
CHAT = {"id": 4242, "type": "private", "first_name": "F"}

texts = st.one_of(
    st.sampled_from(
        [
            "/start",
            "/new",
            "/cancel",
            "/help",
            "/status",
            "/language",
            "1",
            "2",
            "Back",
            "Skip",
            "English",
            "Қазақша",
            "<b>x</b>",
            "&amp;",
            "' OR 1=1 --",
        ]
    ),
    st.text(min_size=1, max_size=300),
    st.text(alphabet="абвгдеәғқңөұүһі ", min_size=1, max_size=5000),
)
# Callback data: well-formed for our prefixes with wrong values, and plain garbage.
callbacks = st.one_of(
    st.builds(
        lambda r, s, v: f"i1:{r}:{s}:{v}",
        st.integers(-5, 40),
        st.sampled_from(["language", "consent", "filer", "story", "summary", "x"]),
        st.sampled_from(["kk", "agree", "self", "_back", "_submit", "edit_story", "zzz"]),
    ),
    st.builds(
        lambda a, n: f"s1:{a}:{n}:",
        st.sampled_from(["take", "close", "open", "page"]),
        st.integers(0, 5),
    ),
    st.builds(
        lambda a, n: f"f1:{a}:{n}:0",
        st.sampled_from(["show", "answer", "withdraw_yes"]),
        st.integers(0, 5),
    ),
    st.text(max_size=64),
)
events = st.lists(
    st.one_of(
        st.tuples(st.just("text"), texts),
        st.tuples(st.just("click"), callbacks),
        st.tuples(st.just("sticker"), st.none()),
        st.tuples(st.just("contact"), st.sampled_from(["+77012345678", "123", "+1"])),
        st.tuples(st.just("photo"), st.text(alphabet="abc", min_size=1, max_size=3)),
    ),
    min_size=1,
    max_size=25,
)


def payload(kind: str, value, ids) -> dict:
    message = {"message_id": next(ids), "date": int(time.time()), "chat": CHAT, "from": USER}
    if kind == "text":
        message["text"] = value
        if value.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(value.split()[0])}
            ]
    elif kind == "sticker":
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    elif kind == "contact":
        message["contact"] = {"phone_number": value, "first_name": "F", "user_id": USER["id"]}
    elif kind == "photo":
        message["photo"] = [{"file_id": value, "file_unique_id": value, "width": 1, "height": 1}]
    else:
        return {
            "callback_query": {
                "id": str(next(ids)),
                "from": USER,
                "chat_instance": "c",
                "data": value,
                "message": {**message, "text": "q"},
            }
        }
    return {"message": message}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=events)
async def test_random_updates_never_crash_and_always_fit_the_bot_api(tmp_path_factory, sequence):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz')}/f.db"
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        h = Harness(create_session_pool(engine))
        ids = itertools.count(1)
        for kind, value in sequence:
            await h.feed(payload(kind, value, ids))
        sent = h.recording.sent_texts()
        # The errors router's apology would mean an unexpected exception somewhere.
        assert T.get("kk", "error-generic") not in sent
        assert h.recording.violations == []
        async with h.session_pool() as s:
            for row in await s.scalars(select(DraftRow)):
                IntakeState.from_dict(row.data)  # the stored draft is still a valid state
    finally:
        await engine.dispose()
