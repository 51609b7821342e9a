"""The load driver: N virtual citizens file complete appeals with the real bot.

The bot runs as it does in production (`python run_bot.py`, one or more processes) and talks
real HTTP to the local Bot API sandbox, which this process serves. The citizens act on the
sandbox's state directly (what its control API does, without an HTTP hop per click), so the
driver spends its CPU on the Bot API side, as Telegram would, and not on polling chats.

Latency is measured inside the sandbox: from the moment it hands an update to the bot (the
getUpdates answer is built, or the webhook POST starts) to the moment the bot's first request
about that chat arrives (sendMessage, answerCallbackQuery, ...). A citizen never has two
updates in flight, so each reply belongs to exactly one update.
"""

import asyncio
import contextlib
import logging
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.journey import NUMBER, Labels, Step, intake_steps, story_for
from bench.procs import ROOT, BotProcess
from sandbox.server import Sandbox, start_sandbox
from sandbox.state import Chat
from storage.crypto import generate_key
from storage.db import empty_postgres_database, upgrade_to_head

log = logging.getLogger("bench.load")

TOKEN = "123456:BENCH"


@dataclass
class Scenario:
    bot: str  # "intake", "echo", or "traffic" (the echo bot making the intake's requests)
    mode: str  # "polling" or "webhook"
    database: str | None = None  # "sqlite", "postgres"; None for the echo bot
    processes: int = 1
    redis: bool = False
    citizens: int = 100
    rate: float | None = None  # the citizens' pace in updates/s; None: as fast as answered

    @property
    def name(self) -> str:
        parts = [{"traffic": "echo (intake's requests)"}.get(self.bot, self.bot), self.mode]
        if self.database:
            parts.append(self.database)
        if self.redis:
            parts.append("redis")
        if self.processes > 1:
            parts.append(f"{self.processes}proc")
        if self.rate:
            parts.append(f"@{self.rate:g}/s")
        return " ".join(parts)


@dataclass
class LoadResult:
    scenario: Scenario
    citizens: int = 0
    completed: int = 0
    numbers: int = 0  # distinct appeal numbers received
    errors: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    unsupported: int = 0
    updates: int = 0  # updates handed to the bot
    answered: int = 0  # ... of which the bot answered
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    bot_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0  # the largest of the bot processes
    driver_cpu_s: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)  # the bots' Bot API requests
    per_process_updates: list[int] = field(default_factory=list)  # from the bots' logs
    skipped: str | None = None

    @property
    def throughput(self) -> float:
        return self.answered / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_update(self) -> float:
        return 1000 * self.bot_cpu_s / self.answered if self.answered else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def calls_per_update(self) -> float:
        """Bot API requests per update, not counting getUpdates."""
        sent = sum(n for method, n in self.calls.items() if method != "getUpdates")
        return sent / self.answered if self.answered else 0.0

    @property
    def ok(self) -> bool:
        return self.skipped is None and not self.errors and not self.violations


def _chat_of_update(update: dict[str, Any]) -> int | None:
    payload = next(v for k, v in update.items() if k != "update_id")
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    return chat["id"] if chat else (payload.get("from") or {}).get("id")


class Clock:
    """A sandbox observer: update hand-out times, reply latencies, and wake-ups for citizens."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.handed: set[int] = set()
        self.pending: dict[int, deque[float]] = defaultdict(deque)
        self.latencies: list[float] = []
        self.events: dict[int, asyncio.Event] = {}
        self.requests: dict[str, int] = defaultdict(int)

    def __call__(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "handed":
            for update in event["updates"]:
                if update["update_id"] not in self.handed:
                    self.handed.add(update["update_id"])
                    self.pending[_chat_of_update(update)].append(event["time"])
            return
        method = event["method"]
        self.requests[method] += 1
        chat = self._chat_of_request(event["params"])
        if chat is None:
            return
        if waiting := self.pending.get(chat):
            self.latencies.append((event["time"] - waiting.popleft()) * 1000)
        if (woken := self.events.get(chat)) is not None:
            woken.set()

    def _chat_of_request(self, params: dict[str, Any]) -> int | None:
        if (chat_id := params.get("chat_id")) is not None:
            with contextlib.suppress(TypeError, ValueError):
                return int(chat_id)
            return None
        if (query_id := params.get("callback_query_id")) is not None:
            record = self.sandbox.callback_queries.get(str(query_id))
            return record.chat_id if record else None
        return None

    def reset(self) -> None:
        self.latencies.clear()
        self.handed.clear()
        self.pending.clear()


class Pacer:
    """Spaces the citizens' actions to `rate` per second overall (None: no spacing)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next = time.monotonic()

    async def turn(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        self.next = max(self.next + self.interval, now)
        if self.next > now:
            await asyncio.sleep(self.next - now)


class Citizen:
    """One virtual citizen in their private chat with the bot."""

    def __init__(self, user_id: int, sandbox: Sandbox, clock: Clock, step_timeout: float):
        self.user_id, self.sandbox, self.clock = user_id, sandbox, clock
        self.timeout = step_timeout
        self.changed = asyncio.Event()
        clock.events[user_id] = self.changed
        sandbox.register_user(user_id, first_name=f"Citizen{user_id}", language_code="en")
        self.chat: Chat = sandbox.chat(user_id)

    def newest_bot_message(self):
        for message in reversed(self.chat.messages.values()):
            if message.from_bot:
                return message
        return None

    async def until(self, found: Callable[[], Any], what: str) -> Any:
        """Wait until `found()` returns something, woken by the bot's requests to this chat."""
        try:
            async with asyncio.timeout(self.timeout):
                while not (result := found()):
                    self.changed.clear()
                    await self.changed.wait()
                return result
        except TimeoutError:
            tail = [
                (m.from_bot, (m.data.get("text") or "")[:60])
                for m in list(self.chat.messages.values())[-3:]
            ]
            raise AssertionError(f"citizen {self.user_id}: no {what}; chat ends {tail}") from None

    def _button(self, step: Step) -> tuple[int, str] | None:
        message = self.newest_bot_message()
        labels = (step.value, *step.also)
        for row in (message.inline_markup or {}).get("inline_keyboard", []) if message else []:
            for button in row:
                if button.get("text") in labels and "callback_data" in button:
                    return message.message_id, button["callback_data"]
        return None

    def _text(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        for message in self.chat.messages.values():
            if message.from_bot and (match := pattern.search(message.data.get("text") or "")):
                return match
        return None

    async def wait_text(self, pattern: str) -> re.Match[str]:
        regex = re.compile(pattern)
        return await self.until(lambda: self._text(regex), f"message matching {pattern!r}")

    async def wait_newer_than(self, message_id: int) -> None:
        def newer() -> bool:
            # With a keyboard: after a shared contact the intake (and the echo bot making its
            # requests) first takes the reply keyboard away, then asks the next question.
            newest = self.newest_bot_message()
            return (
                newest is not None
                and newest.message_id > message_id
                and bool(newest.inline_markup)
            )

        await self.until(newer, f"bot message after {message_id}")

    async def act(self, step: Step) -> None:
        if step.kind == "text":
            self.sandbox.send_text(self.user_id, step.value)
        elif step.kind == "contact":
            self.sandbox.send_contact(self.user_id, step.value)
        else:
            message_id, data = await self.until(
                lambda: self._button(step), f"button {step.value!r}"
            )
            self.sandbox.click(self.user_id, message_id, data)
        await self.sandbox.notify()

    async def intake(self, steps: list[Step], pacer: Pacer) -> str:
        for step in steps:
            if step.expect:
                await self.wait_text(step.expect)
            if step.kind == "click":  # wait for the question before the pacer's turn
                await self.until(lambda s=step: self._button(s), f"button {step.value!r}")
            await pacer.turn()
            await self.act(step)
        return (await self.wait_text(NUMBER.pattern)).group(0)

    async def echo(self, steps: list[Step], pacer: Pacer) -> None:
        """The same kinds of update in the same order, to the echo bot (either kind)."""
        newest = 0
        for step in steps:
            if step.kind == "click":
                step = Step("click", "Echo")
            await pacer.turn()
            await self.act(step)
            await self.wait_newer_than(newest)
            newest = self.newest_bot_message().message_id


_TRAINED: set[str] = set()


def train_models(cache_dir: str) -> None:
    """Train (or just load) the NLU models once, outside the bots: a bot that trains them at
    its first start would report scikit-learn's peak memory as its own."""
    if cache_dir not in _TRAINED:
        code = "from nlu.classifier import Models, load_or_train; load_or_train(Models)"
        env = {**os.environ, "NLU_CACHE_DIR": cache_dir}
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
        _TRAINED.add(cache_dir)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def flush_redis(url: str) -> None:
    from redis.asyncio import Redis  # aiogram[redis]'s client; only needed here

    client = Redis.from_url(url)
    try:
        await client.flushdb()  # the URL's database index only
    finally:
        await client.aclose()


@dataclass
class Services:
    postgres_url: str | None
    redis_url: str | None


async def run_scenario(
    scenario: Scenario,
    services: Services,
    *,
    step_timeout: float = 60.0,
    start_timeout: float = 120.0,
    workdir: Path | None = None,
    profile: Path | None = None,
) -> LoadResult:
    """Start the bot(s), let the citizens file their appeals, measure, stop everything."""
    result = LoadResult(scenario, citizens=scenario.citizens)
    if scenario.database == "postgres" and not services.postgres_url:
        result.skipped = "no PostgreSQL: set BENCH_POSTGRES_URL (or TEST_POSTGRES_URL)"
        return result
    if scenario.redis and not services.redis_url:
        result.skipped = "no Redis: set BENCH_REDIS_URL (or TEST_REDIS_URL)"
        return result
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        return await _run(
            scenario, services, result, step_timeout, start_timeout, workdir, profile
        )


async def _run(
    scenario: Scenario,
    services: Services,
    result: LoadResult,
    step_timeout: float,
    start_timeout: float,
    workdir: Path,
    profile: Path | None,
) -> LoadResult:
    env = {
        "BOT_TOKEN": TOKEN,
        "AUTO_MIGRATE": "false",
        "FIRST_ADMIN_IDS": "[]",
        # Production mode encrypts at rest: fresh keys for each run's fresh database.
        "ENCRYPTION_KEYS": generate_key(),
        "BLIND_INDEX_KEY": generate_key(),
        # The sandbox is not Telegram and has no sending limits; the bench measures the bot's
        # own cost. At Telegram's pace (~30 messages/s, 1/s per chat) Telegram is the limit.
        "OUTBOX_RATE": "100000",
        "OUTBOX_CHAT_RATE": "100000",
        "OUTBOX_GROUP_RATE": "100000",
    }
    env["LOG_LEVEL"] = os.environ.get("BENCH_BOT_LOG_LEVEL", "INFO")
    if scenario.bot == "intake":
        if scenario.database == "postgres":
            assert services.postgres_url
            await empty_postgres_database(services.postgres_url)
            env["DATABASE_URL"] = services.postgres_url
        else:
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir}/bench.db"
        # Migrated once here, so several processes do not race to migrate at start.
        await upgrade_to_head(env["DATABASE_URL"])
        env["NLU_CACHE_DIR"] = os.environ.get(
            "NLU_CACHE_DIR", str(Path.home() / ".cache" / "ombudsman-nlu")
        )
        await asyncio.to_thread(train_models, env["NLU_CACHE_DIR"])
        # The deadline watcher sweeps every 5 minutes by default: keep it, as in production.
    if scenario.redis:
        assert services.redis_url
        await flush_redis(services.redis_url)
        env["REDIS_URL"] = services.redis_url

    sandbox = Sandbox(webhook_concurrency=40)
    clock = Clock(sandbox)
    sandbox.observers.append(clock)
    _, runner, port = await start_sandbox(port=0, sandbox=sandbox)
    env["TELEGRAM_API_BASE"] = f"http://127.0.0.1:{port}"
    if scenario.mode == "webhook":
        hook_port = free_port()
        env |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/tg/webhook",
            "WEBHOOK_SECRET": secrets.token_urlsafe(16),
            "WEBHOOK_PORT": str(hook_port),
            "WEBHOOK_REUSE_PORT": "true" if scenario.processes > 1 else "false",
        }
    if scenario.processes > 1:
        # Each process logs its updates, so the report can say how the kernel spread them
        # (a cost the single-process runs do not pay).
        env["LOG_UPDATES"] = "true"
    entry = {
        "intake": ["run_bot.py"],
        "echo": ["-m", "bench.echo_bot"],
        "traffic": ["-m", "bench.echo_bot", "--intake-traffic"],
    }[scenario.bot]
    if profile is not None and profile.suffix == ".prof":  # cProfile: CPU per function
        entry = ["-m", "cProfile", "-o", str(profile), *entry]
    elif profile is not None:  # pyinstrument: where the wall time goes, as a call tree
        entry = ["-m", "pyinstrument", "--renderer", "text", "-o", str(profile), *entry]
    bots = [
        BotProcess(entry, env, workdir / f"{scenario.bot}-{i}.log")
        for i in range(scenario.processes)
    ]
    try:
        for bot in bots:
            bot.start()
        await _wait_ready(sandbox, clock, bots, scenario, start_timeout)
        with _sampling(bots[0], os.environ.get("BENCH_PY_SPY")):
            await _drive(scenario, sandbox, clock, bots, result, step_timeout)
    except Exception as exc:  # a benchmark reports its failure and goes on
        result.errors.append(f"{type(exc).__name__}: {exc}")
        for bot in bots:
            if not bot.alive():
                result.errors.append(f"bot exited:\n{bot.output_tail()}")
    finally:
        for bot in bots:
            bot.terminate()
        # End the bots' long polls now rather than at their timeout, so they stop at once.
        sandbox.closing = True
        await sandbox.notify()
        codes = await asyncio.to_thread(lambda: [bot.stop() for bot in bots])
        await runner.cleanup()
    result.per_process_updates = [bot.count_lines(" is handled.") for bot in bots]
    for bot, code in zip(bots, codes, strict=True):
        if code not in (0, None):
            result.errors.append(f"bot pid {bot.pid} exited with {code}:\n{bot.output_tail()}")
        if lines := bot.error_lines():
            result.errors.append(f"the bot logged errors (pid {bot.pid}):\n" + "\n".join(lines))
    return result


@contextlib.contextmanager
def _sampling(bot: BotProcess, output: str | None):
    """With BENCH_PY_SPY=<file>, py-spy samples the (first) bot while the citizens act: the
    profile of the load alone, in py-spy's collapsed-stack format."""
    if not output:
        yield
        return
    spy = subprocess.Popen(
        [
            *("py-spy", "record", "--pid", str(bot.pid), "--format", "raw"),
            *("--rate", "250", "--output", output, "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)


async def _wait_ready(
    sandbox: Sandbox, clock: Clock, bots: list[BotProcess], scenario: Scenario, seconds: float
) -> None:
    """Wait until every bot listens: polling has begun, or each process set the webhook."""

    def ready() -> bool:
        if scenario.mode == "webhook":
            return clock.requests["setWebhook"] >= scenario.processes
        return sandbox.poll_generation > 0  # a long poll is waiting (it is logged when it ends)

    async with asyncio.timeout(seconds):
        while not ready():
            if not all(bot.alive() for bot in bots):
                raise RuntimeError("a bot process exited during start")
            await asyncio.sleep(0.05)
    if scenario.mode == "webhook":
        # setWebhook comes after the listening socket is up; give the processes a moment to
        # finish their start-up work (command menus) before the load begins.
        await asyncio.sleep(0.5)
    else:
        await asyncio.sleep(0.3)


def arrival_times(citizens: int, steps: int, rate: float | None) -> list[float]:
    """When each citizen starts, in seconds from the beginning of the load.

    Closed loop (no rate): all within the first second, so the bot has the most work waiting,
    and the citizens then move through the intake nearly in step; the last second is
    everyone's submission. Paced: a steady stream, spread over the first half of the run (as
    long as the rate needs for everyone's updates), so that the kinds of update mix the way a
    campaign's citizens, arriving over an hour, mix them: at any moment some start, some
    tell their story and some submit. In step, a paced run measured the burst of all its
    submissions at the end rather than the rate it was paced to (docs/performance.md).
    """
    spread = 1.0 if not rate else citizens * steps / rate / 2
    return [i * spread / max(citizens, 1) for i in range(citizens)]


async def _drive(
    scenario: Scenario,
    sandbox: Sandbox,
    clock: Clock,
    bots: list[BotProcess],
    result: LoadResult,
    step_timeout: float,
) -> None:
    labels = Labels()
    pacer = Pacer(scenario.rate)
    base = 10_000_000
    citizens = [Citizen(base + i, sandbox, clock, step_timeout) for i in range(scenario.citizens)]
    clock.reset()
    calls_before = dict(clock.requests)
    violations_before = len(sandbox.violations)
    for bot in bots:
        bot.mark_cpu()
    driver_cpu = time.process_time()
    started = time.perf_counter()

    starts = arrival_times(len(citizens), len(intake_steps(labels)), scenario.rate)

    async def one(i: int, citizen: Citizen) -> str | None:
        await asyncio.sleep(starts[i])
        steps = intake_steps(labels, story_for(i))
        if scenario.bot != "intake":
            await citizen.echo(steps, pacer)
            return scenario.bot
        return await citizen.intake(steps, pacer)

    outcomes = await asyncio.gather(
        *(one(i, c) for i, c in enumerate(citizens)), return_exceptions=True
    )
    result.wall_s = time.perf_counter() - started
    result.driver_cpu_s = time.process_time() - driver_cpu
    result.bot_cpu_s = sum(bot.cpu_since_mark() for bot in bots)
    result.peak_rss_mb = max(bot.peak_rss_mb() for bot in bots)
    numbers = [o for o in outcomes if isinstance(o, str)]
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    result.completed = len(numbers)
    if scenario.bot == "intake":
        result.numbers = len(set(numbers))
        if result.numbers != len(numbers):
            result.errors.append(f"only {result.numbers} distinct numbers for {len(numbers)}")
    for failure in failures[:5]:
        result.errors.append(f"{type(failure).__name__}: {failure}")
    if len(failures) > 5:
        result.errors.append(f"... and {len(failures) - 5} more citizens failed")
    result.updates = len(clock.handed)
    result.answered = len(clock.latencies)
    result.calls = {m: n - calls_before.get(m, 0) for m, n in clock.requests.items()}
    result.latencies_ms = list(clock.latencies)
    if result.answered < result.updates:
        result.errors.append(f"{result.updates - result.answered} updates got no reply")
    result.violations = sandbox.violations[violations_before:]
    result.unsupported = sandbox.unsupported
    log.info(
        "%s: %d/%d citizens, %d updates in %.1f s, median %.1f ms",
        scenario.name,
        result.completed,
        result.citizens,
        result.answered,
        result.wall_s,
        statistics.median(result.latencies_ms) if result.latencies_ms else 0.0,
    )
