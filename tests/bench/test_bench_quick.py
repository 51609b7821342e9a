"""The benchmark suite runs end to end and its runs are correct: every virtual citizen gets an
appeal number, the bots log no error and send nothing the Bot API would refuse. Timings are
never asserted (a shared CI machine cannot promise any)."""

import dataclasses
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import dataset
from bench.__main__ import main
from bench.load import LoadResult, Scenario, Services, arrival_times, run_scenario
from bench.procs import ROOT

POSTGRES = os.environ.get("TEST_POSTGRES_URL")
REDIS = os.environ.get("TEST_REDIS_URL")
needs_postgres = pytest.mark.skipif(
    not POSTGRES, reason="TEST_POSTGRES_URL is not set: PostgreSQL tests need a server"
)
needs_redis = pytest.mark.skipif(
    not REDIS, reason="TEST_REDIS_URL is not set: Redis tests need a server"
)
CITIZENS = 6


def assert_correct(result: LoadResult) -> None:
    assert result.skipped is None
    assert result.errors == []
    assert result.violations == []
    assert result.completed == result.citizens == CITIZENS
    assert result.answered == result.updates == 18 * CITIZENS  # every update got a reply
    assert len(result.latencies_ms) == result.answered
    assert result.bot_cpu_s > 0 and result.peak_rss_mb > 0
    if result.scenario.bot == "intake":
        assert result.numbers == CITIZENS  # a distinct appeal number for every citizen


@pytest.mark.parametrize(
    ("bot", "mode"), [("echo", "polling"), ("intake", "polling"), ("intake", "webhook")]
)
async def test_citizens_file_appeals_with_the_real_bot_and_the_echo_bot(bot, mode, tmp_path):
    scenario = Scenario(bot, mode, "sqlite" if bot == "intake" else None, citizens=CITIZENS)
    assert_correct(await run_scenario(scenario, Services(None, None), workdir=tmp_path))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_echo_bot_makes_exactly_the_intakes_requests_when_asked(mode, tmp_path):
    runs = [
        await run_scenario(Scenario(bot, mode, database, citizens=CITIZENS), Services(None, None))
        for bot, database in (("traffic", None), ("intake", "sqlite"))
    ]
    for run in runs:
        assert_correct(run)
    traffic, intake = ({m: n for m, n in r.calls.items() if n and m != "getUpdates"} for r in runs)
    assert traffic == intake
    assert set(intake) == {"sendMessage", "editMessageReplyMarkup", "answerCallbackQuery"}


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis
async def test_two_webhook_processes_share_the_load_through_redis_and_postgres(tmp_path):
    scenario = Scenario(
        "intake", "webhook", "postgres", processes=2, redis=True, citizens=CITIZENS
    )
    assert_correct(await run_scenario(scenario, Services(POSTGRES, REDIS), workdir=tmp_path))


@pytest.mark.parametrize(
    "backend",
    ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, needs_postgres])],
)
async def test_queue_and_statistics_are_timed_on_a_seeded_database(backend, tmp_path):
    result = await dataset.measure(
        backend, 2_000, postgres_url=POSTGRES, cache_dir=tmp_path, repeat=2, own_database=False
    )
    assert result.error is None
    assert result.seed_s is not None  # seeded here, not taken from a cache
    assert all(len(t.samples_ms) >= 2 for t in result.timings.values())
    assert "a year's statistics" in result.timings and "take the next appeal" in result.timings


def test_the_command_writes_the_report(tmp_path):
    out = tmp_path / "benchmarks.md"
    code = main(
        [
            *("--quick", "--only", "dataset", "--sizes", "1000", "--postgres-url", ""),
            *("--cache-dir", str(tmp_path), "--out", str(out)),
        ]
    )
    assert code == 0
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# Benchmarks")
    assert "ERRORS" not in report
    assert "| sqlite | 1,000 |" in report
    assert Path(out).stat().st_size > 0


def _run(bot: str, cpu_s: float, mode: str = "polling", **kw) -> LoadResult:
    """A finished run of 2 citizens (36 updates) that took `cpu_s` of the bot's CPU."""
    database = None if bot != "intake" else ("sqlite" if mode == "polling" else "postgres")
    scenario = Scenario(bot, mode, database, citizens=2)
    result = LoadResult(scenario, citizens=2, completed=2, updates=36, answered=36)
    result.numbers = 2 if bot == "intake" else 0
    result.wall_s, result.bot_cpu_s, result.latencies_ms = 1.0, cpu_s, [5.0] * 36
    for key, value in kw.items():
        setattr(result, key, value)
    return result


def test_the_report_shows_the_ratio_and_says_loudly_when_a_run_had_errors():
    from bench.__main__ import QUICK, Report, render

    report = Report(command="python -m bench", plan=QUICK, quick=True)
    report.load = [_run("echo", 0.036), _run("intake", 0.108)]
    text = render(report)
    assert "3.0×" in text and "ERRORS" not in text
    report.load.append(_run("intake", 0.1, errors=["citizen 7: no reply"], numbers=1))
    text = render(report)
    assert "## ⚠ ERRORS" in text and "citizen 7: no reply" in text
    assert "1 appeal numbers for 2 citizens" in text


def test_paced_citizens_arrive_as_a_stream_and_closed_loop_ones_at_once():
    # Closed loop: everyone within the first second, in order.
    at_once = arrival_times(100, 18, None)
    assert at_once[0] == 0 and max(at_once) < 1 and at_once == sorted(at_once)
    # Paced to 300 updates/s, 100 citizens' 1,800 updates take 6 s: arrivals spread evenly
    # over the first 3 s, so that submissions do not all fall in the last second.
    stream = arrival_times(100, 18, 300.0)
    assert stream[0] == 0 and stream == sorted(stream)
    assert 2.9 < stream[-1] < 3.0
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(stream)}
    assert gaps == {0.03}


def test_the_headline_ratio_is_the_median_of_alternating_rounds():
    from bench.__main__ import FULL, Report, Round, render

    plan = dataclasses.replace(FULL, citizens=2)
    report = Report(command="python -m bench", plan=plan, quick=False)
    # The first round comes from the main runs; two more were run in alternation after them.
    calls = {"sendMessage": 38, "editMessageReplyMarkup": 22, "answerCallbackQuery": 22}
    report.load = [
        _run("echo", 0.036, "webhook"),
        _run("traffic", 0.072, "webhook", calls=calls),  # 2.0×
        _run("intake", 0.108, "webhook"),  # 3.0×
    ]
    report.rounds = [
        Round(
            _run("echo", 0.030, "webhook"),
            _run("intake", 0.150, "webhook"),  # 5.0×
            _run("traffic", 0.075, "webhook", calls=calls),  # 2.5×
        ),
        Round(_run("echo", 0.040, "webhook"), _run("intake", 0.160, "webhook")),  # 4.0×
    ]
    text = render(report)
    assert "median of 3 alternating rounds: 4.0× (rounds 3.0×, 4.0×, 5.0×) — **NOT met**" in text
    # The intake's requests alone: measured in two of the three rounds.
    assert "the same 2.3 requests per update as the intake" in text
    assert "with no state and no database): 2.2× the echo bot (2.0×, 2.5×)" in text
    # CPU ms per update, from 36 updates; a round without the traffic run shows dashes.
    assert "| 2 | 0.83 | 2.08 | 2.5× | 4.17 | 5.0× | 36 |" in text
    assert "| 3 | 1.11 | - | - | 4.44 | 4.0× | 36 |" in text
    report.rounds[1].intake.errors.append("citizen 3: no reply")
    assert "## ⚠ ERRORS" in render(report)  # a repeat's errors count like any run's


@pytest.mark.parametrize(
    "backend",
    ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, needs_postgres])],
)
async def test_the_cost_of_an_updates_transaction_is_measured_step_by_step(backend, tmp_path):
    from bench.transactions import measure

    url = POSTGRES if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/tx.db"
    costs = dict(await measure(url, 5))
    steps = list(costs)
    assert steps[:3] == [
        "BEGIN, arrival, COMMIT",
        "... and the draft's upsert",
        "... and the outbox row (an intake update's database work)",
    ]
    assert all(ms > 0 for ms in costs.values())
    # asyncpg's floor is measured on PostgreSQL only (SQLite has no such driver).
    assert ("floor: the same through asyncpg alone" in costs) == (backend == "postgresql")


def test_the_echo_bot_keeps_aiograms_response_models_as_the_real_bot_does():
    # In a fresh interpreter: in this one the real bot's factory may already hold them.
    # Parametrized in a function: at module level pydantic would store the model in the
    # module's globals, which holds it as the bot's own calls never do.
    probe = """
import gc, weakref
from aiogram.methods import Response
from aiogram.types import Message
from bench.echo_bot import keep_response_models
def model():
    return weakref.ref(Response[Message])
unkept = model()
gc.collect()
print(unkept() is None)  # pydantic holds them weakly: collected, rebuilt on the next request
kept = keep_response_models()
held = model()
gc.collect()
print(held() is not None and held() in kept)
"""
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.split() == ["True", "True"]
