"""python -m bench [--quick] [options]: measure the real bot and write docs/benchmarks.md.

Runs, in one process and on this machine: the load driver against the intake bot, against
a minimal echo bot and against the echo bot making the intake's Bot API requests (polling and
webhook, SQLite and PostgreSQL), 1/2/4 webhook processes with
Redis and PostgreSQL, the staff's queue and statistics at 10k/100k/1M appeals, and the NLU
bench. Prints a table and writes the Markdown report. Exits 1 if any run had an error or a
Bot API spec violation (timings never fail it: they are reported, not asserted).
"""

import argparse
import asyncio
import dataclasses
import itertools
import logging
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench import dataset
from bench.load import LoadResult, Scenario, Services, run_scenario
from bench.procs import ROOT, install_cleanup

log = logging.getLogger("bench")

# The targets (docs/benchmarks.md shows each against what was measured).
TARGET_RATIO = 2.0
TARGET_RATE = 300.0
TARGET_P99_MS = 100.0
TARGET_RSS_MB = 300.0
TARGET_PAGE_MS = 50.0
TARGET_REPORT_MS = 2000.0


@dataclass
class Plan:
    citizens: int
    peak_citizens: int | None  # one extra run at this many citizens (None: none)
    paced_citizens: int
    scaling: tuple[int, ...]
    scaling_citizens: int
    sizes: tuple[int, ...]
    sqlite_sizes: tuple[int, ...]
    nlu_texts: int
    step_timeout: float
    # Echo, intake traffic and intake (webhook, PostgreSQL) run this many times in
    # alternation: the headline ratio is their median, as a single pair moves by ±20% on a
    # shared virtual machine.
    rounds: int = 1


QUICK = Plan(
    citizens=20,
    peak_citizens=None,
    paced_citizens=0,  # pacing is about timings, which the quick mode does not judge
    scaling=(2,),
    scaling_citizens=20,
    sizes=(10_000,),
    sqlite_sizes=(10_000,),
    nlu_texts=200,
    step_timeout=60.0,
)
FULL = Plan(
    citizens=300,
    peak_citizens=2000,
    paced_citizens=300,
    scaling=(1, 2, 4),
    scaling_citizens=300,
    sizes=(10_000, 100_000, 1_000_000),
    sqlite_sizes=(10_000, 100_000, 1_000_000),
    nlu_texts=2000,
    step_timeout=120.0,
    rounds=3,
)


@dataclass
class Round:
    """Runs one right after the other, behind a webhook on PostgreSQL, compared with each
    other: the echo bot, the intake, and the echo bot making the intake's requests."""

    echo: LoadResult
    intake: LoadResult
    traffic: LoadResult | None = None

    @property
    def runs(self) -> list[LoadResult]:
        return [r for r in (self.echo, self.traffic, self.intake) if r is not None]

    def times_echo(self, run: LoadResult | None) -> float | None:
        if run is None or not run.answered or not self.echo.cpu_ms_per_update:
            return None
        return run.cpu_ms_per_update / self.echo.cpu_ms_per_update


@dataclass
class Report:
    command: str
    plan: Plan
    quick: bool
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    load: list[LoadResult] = field(default_factory=list)
    scaling: list[LoadResult] = field(default_factory=list)
    # Further rounds for the headline ratio, after the first in `load`.
    rounds: list[Round] = field(default_factory=list)
    datasets: list[dataset.DatasetResult] = field(default_factory=list)
    nlu: str = ""
    nlu_error: str | None = None
    machine: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def runs(self) -> list[LoadResult]:
        return self.load + self.scaling + [run for r in self.rounds for run in r.runs]

    @property
    def problems(self) -> list[str]:
        found = []
        for run in self.runs:
            if run.skipped:
                continue
            for error in run.errors:
                found.append(f"{run.scenario.name}: {error}")
            if run.violations:
                first = run.violations[0]
                found.append(
                    f"{run.scenario.name}: {len(run.violations)} Bot API spec violation(s), "
                    f"first {first['method']}: {first['description']}"
                )
            if run.scenario.bot == "intake" and run.numbers != run.citizens:
                found.append(
                    f"{run.scenario.name}: {run.numbers} appeal numbers for {run.citizens} "
                    "citizens"
                )
        found += [f"dataset {d.backend} {d.size}: {d.error}" for d in self.datasets if d.error]
        if self.nlu_error:
            found.append(f"nlu bench: {self.nlu_error}")
        return found


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return {
        "cpu": f"{cpu}, {psutil.cpu_count(logical=True)} logical cores "
        f"({len(os.sched_getaffinity(0))} usable)",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "load average at start": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "commit": _git("rev-parse", "--short", "HEAD"),
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- Running ----------------------------------------------------------------------------------


async def run_load(report: Report, services: Services, only: set[str]) -> None:
    plan = report.plan
    scenarios: list[Scenario] = []
    if "load" in only:
        for mode in ("polling", "webhook"):
            scenarios.append(Scenario("echo", mode, citizens=plan.citizens))
            scenarios.append(Scenario("traffic", mode, citizens=plan.citizens))
            for database in ("sqlite", "postgres"):
                scenarios.append(Scenario("intake", mode, database, citizens=plan.citizens))
        if plan.paced_citizens:
            # The target: one process sustaining TARGET_RATE with p99 under TARGET_P99_MS.
            scenarios.append(
                Scenario(
                    "intake",
                    "webhook",
                    "postgres",
                    citizens=plan.paced_citizens,
                    rate=TARGET_RATE,
                )
            )
        if plan.peak_citizens:
            scenarios.append(
                Scenario("intake", "webhook", "postgres", citizens=plan.peak_citizens)
            )
    for scenario in scenarios:
        result = await _run(scenario, services, plan)
        report.load.append(result)
        s = scenario
        closed_loop = (s.bot, s.mode, s.database, s.rate) == (
            "intake",
            "webhook",
            "postgres",
            None,
        )
        if plan.paced_citizens and result.ok and closed_loop and s.citizens == plan.citizens:
            # Latency below saturation: the same set-up paced to half of what it managed.
            half = Scenario(
                "intake",
                "webhook",
                "postgres",
                citizens=plan.paced_citizens,
                rate=max(10.0, round(result.throughput / 2)),
            )
            report.load.append(await _run(half, services, plan))
    if "load" in only:
        for _ in range(plan.rounds - 1):
            echo, traffic, intake = [
                await _run(scenario, services, plan)
                for scenario in (
                    Scenario("echo", "webhook", citizens=plan.citizens),
                    Scenario("traffic", "webhook", citizens=plan.citizens),
                    Scenario("intake", "webhook", "postgres", citizens=plan.citizens),
                )
            ]
            report.rounds.append(Round(echo, intake, traffic))
    if "scaling" in only:
        for processes in plan.scaling:
            scenario = Scenario(
                "intake",
                "webhook",
                "postgres",
                processes=processes,
                redis=True,
                citizens=plan.scaling_citizens,
            )
            report.scaling.append(await _run(scenario, services, plan))


async def _run(scenario: Scenario, services: Services, plan: Plan) -> LoadResult:
    print(f"  {scenario.name}, {scenario.citizens} citizens ...", flush=True)
    result = await run_scenario(scenario, services, step_timeout=plan.step_timeout)
    print(f"    {_one_line(result)}", flush=True)
    return result


def _one_line(r: LoadResult) -> str:
    if r.skipped:
        return f"SKIPPED: {r.skipped}"
    state = "ok" if r.ok else "ERRORS"
    return (
        f"{state}: {r.completed}/{r.citizens} done, {r.answered} updates, "
        f"{r.throughput:.0f}/s, p50 {r.percentile(0.5):.1f} ms, p99 {r.percentile(0.99):.1f} "
        f"ms, {r.cpu_ms_per_update:.2f} CPU ms/update, peak {r.peak_rss_mb:.0f} MB"
    )


def run_datasets(report: Report, postgres_url: str | None, cache_dir: Path) -> None:
    plan = report.plan
    work = [("sqlite", n) for n in plan.sqlite_sizes]
    if postgres_url:
        work += [("postgresql", n) for n in plan.sizes]
    else:
        print("  PostgreSQL queue/statistics SKIPPED: no BENCH_POSTGRES_URL", flush=True)
    for backend, n in work:
        print(f"  {backend}, {n:,} appeals ...", flush=True)
        result = dataset.run_sync(
            backend, n, postgres_url=postgres_url, cache_dir=cache_dir, repeat=20
        )
        report.datasets.append(result)
        seeded = "cached" if result.seed_s is None else f"seeded in {result.seed_s:.1f} s"
        figures = ", ".join(f"{k} {t.median:.1f} ms" for k, t in result.timings.items())
        print(f"    {result.error or seeded}: {figures}", flush=True)


def run_nlu(report: Report) -> None:
    print("  python -m nlu bench ...", flush=True)
    command = [sys.executable, "-m", "nlu", "bench", "-n", str(report.plan.nlu_texts)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    report.nlu = done.stdout.strip()
    if done.returncode != 0:
        report.nlu_error = f"exit {done.returncode}: {done.stderr.strip()[-500:]}"
    print("    " + report.nlu.replace("\n", "\n    "), flush=True)


# --- Reporting --------------------------------------------------------------------------------


def _echo_for(report: Report, run: LoadResult) -> LoadResult | None:
    """The echo run to compare with: same mode, the same number of citizens if there is one."""
    echoes = [
        other
        for other in report.load
        if other.scenario.bot == "echo" and other.scenario.mode == run.scenario.mode
        if other.answered
    ]
    same = [e for e in echoes if e.scenario.citizens == run.scenario.citizens]
    return (same or echoes or [None])[0]


def ratio(report: Report, run: LoadResult) -> float | None:
    echo = _echo_for(report, run)
    if echo is None or not echo.cpu_ms_per_update or not run.answered:
        return None
    return run.cpu_ms_per_update / echo.cpu_ms_per_update


def _first_in_load(report: Report, bot: str) -> LoadResult | None:
    database = "postgres" if bot == "intake" else None
    return next(
        (
            r
            for r in report.load
            if (r.scenario.bot, r.scenario.mode, r.scenario.database, r.scenario.rate)
            == (bot, "webhook", database, None)
            and r.scenario.citizens == report.plan.citizens
        ),
        None,
    )


def headline_rounds(report: Report) -> list[Round]:
    """Every round behind a webhook on PostgreSQL with the same citizens: the first from the
    main runs, then the repeats."""
    first = []
    if (intake := _first_in_load(report, "intake")) and (echo := _echo_for(report, intake)):
        first.append(Round(echo, intake, _first_in_load(report, "traffic")))
    return [r for r in first + report.rounds if r.times_echo(r.intake) is not None]


def _median_of(ratios: list[float | None]) -> tuple[float, list[float]] | None:
    each = sorted(x for x in ratios if x is not None)
    return (statistics.median(each), each) if each else None


def rounds_table(report: Report) -> list[str]:
    lines = [
        "| round | echo CPU ms/update | intake's requests alone CPU ms/update | × echo "
        "| intake CPU ms/update | × echo | intake updates/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(headline_rounds(report), start=1):
        traffic = "- | -"
        if (x := r.times_echo(r.traffic)) is not None:
            traffic = f"{r.traffic.cpu_ms_per_update:.2f} | {x:.1f}×"
        lines.append(
            f"| {i} | {r.echo.cpu_ms_per_update:.2f} | {traffic} "
            f"| {r.intake.cpu_ms_per_update:.2f} | {r.times_echo(r.intake):.1f}× "
            f"| {r.intake.throughput:.0f} |"
        )
    return lines


def load_table(report: Report, runs: list[LoadResult]) -> list[str]:
    head = (
        "| run | citizens | appeals | updates | updates/s | p50 ms | p95 ms | p99 ms "
        "| CPU ms/update | × echo | API calls/update | peak MB | errors | violations |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in runs:
        s = r.scenario
        if r.skipped:
            lines.append(f"| {s.name} | {s.citizens} | skipped: {r.skipped} |" + " |" * 11)
            continue
        x = ratio(report, r)
        appeals = str(r.numbers) if s.bot == "intake" else "-"
        lines.append(
            f"| {s.name} | {s.citizens} | {appeals} | {r.answered} | {r.throughput:.0f} "
            f"| {r.percentile(0.5):.1f} | {r.percentile(0.95):.1f} | {r.percentile(0.99):.1f} "
            f"| {r.cpu_ms_per_update:.2f} | {'-' if x is None else f'{x:.1f}×'} "
            f"| {r.calls_per_update:.1f} | {r.peak_rss_mb:.0f} | {len(r.errors)} "
            f"| {len(r.violations)} |"
        )
    return lines


def dataset_table(report: Report) -> list[str]:
    if not report.datasets:
        return []
    names = list(dict.fromkeys(k for d in report.datasets for k in d.timings))
    lines = [
        "| backend | appeals | seeding | "
        + " | ".join(f"{n} (median / max ms)" for n in names)
        + " |",
        "|" + "---|" * (3 + len(names)),
    ]
    for d in report.datasets:
        seeded = "cached" if d.seed_s is None else f"{d.seed_s:.1f} s"
        if d.error:
            lines.append(f"| {d.backend} | {d.size:,} | {seeded} | ERROR: {d.error} |")
            continue
        cells = [
            f"{d.timings[n].median:.1f} / {d.timings[n].worst:.1f}" if n in d.timings else "-"
            for n in names
        ]
        lines.append(f"| {d.backend} | {d.size:,} | {seeded} | " + " | ".join(cells) + " |")
    return lines


def growth(report: Report) -> list[str]:
    """How each operation grows with the number of appeals, from the medians measured."""
    lines = []
    for backend in ("postgresql", "sqlite"):
        rows = sorted(
            (d for d in report.datasets if d.backend == backend and not d.error),
            key=lambda d: d.size,
        )
        if len(rows) < 2:
            continue
        for name in rows[0].timings:
            steps = []
            for small, big in itertools.pairwise(rows):
                a, b = small.timings[name].median, big.timings[name].median
                if a > 0:
                    steps.append(f"×{b / a:.1f} for ×{big.size / small.size:.0f} appeals")
            first, last = rows[0].timings[name].median, rows[-1].timings[name].median
            factor = rows[-1].size / rows[0].size
            kind = _kind(first, last, factor)
            lines.append(f"- {backend}, {name}: {', '.join(steps)} — {kind}")
    return lines


def _kind(first: float, last: float, factor: float) -> str:
    if first <= 0:
        return "n/a"
    grew = last / first
    if grew < 2:
        return "flat (independent of the number of appeals)"
    if grew < factor**0.5:
        return "sub-linear"
    return "about linear in the number of appeals"


def targets(report: Report) -> list[str]:
    lines = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "**NOT met**")

    intake = [r for r in report.load if r.scenario.bot == "intake" and r.answered]
    ratios = [(r, ratio(report, r)) for r in intake if not r.scenario.rate]
    ratios = [(r, x) for r, x in ratios if x is not None]
    rounds = headline_rounds(report)
    if len(rounds) > 1 and (found := _median_of([r.times_echo(r.intake) for r in rounds])):
        median, each = found
        lines.append(
            f"- Cost per update ≤ {TARGET_RATIO:g}× the echo bot's, behind a webhook on "
            f"PostgreSQL, median of {len(rounds)} alternating rounds: {median:.1f}× "
            f"(rounds {', '.join(f'{x:.1f}×' for x in each)}) — "
            f"{verdict(median <= TARGET_RATIO)}"
        )
    traffic = [r.traffic for r in rounds if r.times_echo(r.traffic) is not None]
    if found := _median_of([r.times_echo(r.traffic) for r in rounds]):
        median, each = found
        lines.append(
            f"- Of that, the intake's Bot API requests alone (the echo bot making the same "
            f"{traffic[0].calls_per_update:.1f} requests per update as the intake, with no "
            f"state and no database): {median:.1f}× the echo bot "
            f"({', '.join(f'{x:.1f}×' for x in each)})"
        )
    if ratios:
        worst = max(ratios, key=lambda p: p[1])
        lines.append(
            f"- Cost per update ≤ {TARGET_RATIO:g}× the echo bot's, each closed-loop run "
            f"against the echo bot in its mode: "
            f"{', '.join(f'{r.scenario.name} {x:.1f}×' for r, x in ratios)} — "
            f"{verdict(worst[1] <= TARGET_RATIO)}"
        )
    for r in intake:
        if r.scenario.rate and r.scenario.rate != TARGET_RATE:
            lines.append(
                f"- Below saturation ({r.scenario.name}, half of the closed-loop rate): "
                f"{r.throughput:.0f}/s, p50 {r.percentile(0.5):.1f} ms, "
                f"p99 {r.percentile(0.99):.1f} ms"
            )
    paced = [r for r in intake if r.scenario.rate == TARGET_RATE]
    for r in paced:
        ok = r.throughput >= 0.95 * TARGET_RATE and r.percentile(0.99) <= TARGET_P99_MS
        lines.append(
            f"- One process sustains {TARGET_RATE:g} updates/s with p99 ≤ {TARGET_P99_MS:g} ms "
            f"({r.scenario.name}): {r.throughput:.0f}/s, p99 {r.percentile(0.99):.1f} ms — "
            f"{verdict(ok)}"
        )
    best = max((r.throughput for r in intake if r.scenario.processes == 1), default=None)
    if best is not None:
        lines.append(f"- Highest one-process throughput measured (closed loop): {best:.0f}/s")
    rss = [r.peak_rss_mb for r in report.runs if r.scenario.bot == "intake" and r.answered]
    if rss:
        lines.append(
            f"- Memory ≤ {TARGET_RSS_MB:g} MB per process: peak {max(rss):.0f} MB — "
            f"{verdict(max(rss) <= TARGET_RSS_MB)}"
        )
    at_scale = [d for d in report.datasets if d.backend == "postgresql" and not d.error]
    if at_scale:
        biggest = max(at_scale, key=lambda d: d.size)
        pages = [t.median for k, t in biggest.timings.items() if k.startswith("queue page")]
        page_max = max(pages) if pages else None
        stats = biggest.timings.get("a year's statistics")
        lines.append(
            f"- Queue page ≤ {TARGET_PAGE_MS:g} ms at {biggest.size:,} appeals (PostgreSQL): "
            f"slowest page view median {page_max:.1f} ms — "
            f"{verdict(page_max is not None and page_max <= TARGET_PAGE_MS)}"
        )
        if stats:
            lines.append(
                f"- A year's statistics ≤ {TARGET_REPORT_MS / 1000:g} s at {biggest.size:,} "
                f"appeals (PostgreSQL): median {stats.median / 1000:.2f} s — "
                f"{verdict(stats.median <= TARGET_REPORT_MS)}"
            )
    return lines


def render(report: Report) -> str:
    problems = report.problems
    out = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (do not edit by hand; see `bench/` and the "
        '"Benchmarks" section of the README). What was measured, how, and what the profile '
        "showed: [performance.md](performance.md).",
        "",
        f"- Command: `{report.command}` ({'quick' if report.quick else 'full'} mode)",
        f"- Date: {report.started:%Y-%m-%d %H:%M} UTC; wall time {report.wall_s / 60:.1f} min",
    ]
    out += [f"- {k.capitalize()}: {v}" for k, v in report.machine.items()]
    note = os.environ.get("BENCH_NOTE")
    if note:
        out.append(f"- Conditions: {note}")
    out += [""]
    if problems:
        out += ["## ⚠ ERRORS — these figures are not valid", ""]
        out += [f"- {p}" for p in problems] + [""]
    else:
        out += [
            "Every run completed with zero errors and zero Bot API spec violations; every "
            "virtual citizen received an appeal number.",
            "",
        ]
    out += ["## Targets", ""] + (targets(report) or ["- nothing measured"]) + [""]
    if report.load:
        out += [
            "## Intake load against the echo bot",
            "",
            "Closed loop: each virtual citizen files a complete appeal (18 updates), acting as "
            "soon as the bot has answered; `@N/s` runs are paced to N updates/s overall. "
            "Latency: from the sandbox handing the update to the bot to the bot's first "
            "request about it. CPU and peak memory (VmHWM) are the bot process's; "
            "× echo is CPU per update relative to the echo bot in the same mode. "
            "\"echo (intake's requests)\" is the echo bot making the intake's Bot API requests "
            "and nothing else.",
            "",
            *load_table(report, report.load),
            "",
        ]
    if report.rounds:
        out += [
            "## The headline ratio, measured in alternation",
            "",
            "The echo bot, the echo bot making the intake's Bot API requests (`--intake-"
            "traffic`: the same requests per update, nothing else) and the intake (webhook, "
            "PostgreSQL, closed loop) run one after the other, several times: a shared "
            "virtual machine changes speed from one minute to the next, and the median of the "
            "rounds moves much less than any one run.",
            "",
            *rounds_table(report),
            "",
        ]
    if report.scaling:
        out += [
            "## Scaling: webhook processes with Redis and PostgreSQL",
            "",
            "The processes share one port (SO_REUSEPORT); the sandbox delivers up to 40 updates "
            "at once over separate connections, which the kernel spreads over the processes. "
            "CPU ms/update is summed over the processes; peak MB is the largest process.",
            "",
            *load_table(report, report.scaling),
            "",
            "Updates handled by each process (from their logs): "
            + "; ".join(
                f"{r.scenario.processes} process(es): "
                + " / ".join(str(n) for n in r.per_process_updates)
                for r in report.scaling
                # One process logs no updates (LOG_UPDATES costs CPU): it handled them all.
                if not r.skipped and r.scenario.processes > 1
            ),
            "",
        ]
    if report.datasets:
        out += [
            "## Queue and statistics with many appeals",
            "",
            "Through `storage.casework.CaseRepository` and `storage.report.build_report`, each "
            'in its own session as in the bot; takes are rolled back. "region": one '
            "representative's queue; \"all queues\": the central office's view.",
            "",
            *dataset_table(report),
            "",
            "How each grows:",
            "",
            *(growth(report) or ["- one size only (quick mode)"]),
            "",
        ]
    if report.nlu or report.nlu_error:
        out += [
            "## NLU (`python -m nlu bench`)",
            "",
            "```",
            report.nlu or "",
            *([f"ERROR: {report.nlu_error}"] if report.nlu_error else []),
            "```",
            "",
        ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a one-minute run (CI)")
    parser.add_argument("--citizens", type=int, help="virtual citizens per load run")
    parser.add_argument("--peak-citizens", type=int, help="citizens of the largest run")
    parser.add_argument(
        "--only",
        default="load,scaling,dataset,nlu",
        help="comma-separated parts: load, scaling, dataset, nlu",
    )
    parser.add_argument(
        "--sizes", help="comma-separated numbers of appeals for the queue/statistics part"
    )
    parser.add_argument("--nlu-texts", type=int, help="texts for python -m nlu bench")
    parser.add_argument(
        "--rounds",
        type=int,
        help="alternating rounds (echo, the intake's requests, intake) for the headline ratio",
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL"),
        help="a disposable database (its schema is dropped!); default BENCH_POSTGRES_URL or "
        "TEST_POSTGRES_URL",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL"),
        help="a disposable Redis database (it is flushed!); default BENCH_REDIS_URL or "
        "TEST_REDIS_URL",
    )
    parser.add_argument(
        "--cache-dir",
        default=os.environ.get("BENCH_CACHE_DIR", str(Path.home() / ".cache" / "ombudsman-bench")),
        help="where seeded SQLite databases are kept between runs",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    install_cleanup()
    plan = dataclasses.replace(QUICK if args.quick else FULL)
    if args.citizens:
        plan.citizens = plan.scaling_citizens = args.citizens
        plan.paced_citizens = args.citizens if plan.paced_citizens else 0
    if args.sizes:
        plan.sizes = plan.sqlite_sizes = tuple(int(n) for n in args.sizes.split(","))
    if args.nlu_texts:
        plan.nlu_texts = args.nlu_texts
    if args.rounds:
        plan.rounds = args.rounds
    if args.peak_citizens is not None:
        plan.peak_citizens = args.peak_citizens or None
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    command = "python -m bench" + (" " + shlex.join(argv if argv is not None else sys.argv[1:]))
    report = Report(command=command.strip(), plan=plan, quick=args.quick, machine=machine())
    services = Services(args.postgres_url, args.redis_url)
    started = time.perf_counter()
    if only & {"load", "scaling"}:
        print("Load (virtual citizens through the sandbox):", flush=True)
        asyncio.run(run_load(report, services, only))
    if "dataset" in only:
        print("Queue and statistics:", flush=True)
        run_datasets(report, args.postgres_url, Path(args.cache_dir))
    if "nlu" in only:
        print("NLU:", flush=True)
        run_nlu(report)
    report.wall_s = time.perf_counter() - started
    text = render(report)
    print()
    print(text)
    if not args.no_write:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"\nwritten to {args.out}")
    if report.problems:
        print(f"\n{len(report.problems)} PROBLEM(S): the run had errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
