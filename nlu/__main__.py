"""python -m nlu predict | evaluate | bench  (see README, "Understanding what people write")."""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from nlu.classifier import Models, UrgencyClassifier, data_fingerprint
from nlu.data import default_files, load_examples
from nlu.service import Nlu, load_nlu


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def predict(_: argparse.Namespace) -> int:
    nlu = load_nlu()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if text.strip():
            print(json.dumps(nlu.analyze(text).to_json(), ensure_ascii=False), flush=True)
    return 0


def evaluate(args: argparse.Namespace) -> int:
    # Imported here: the evaluation imports scikit-learn, which `predict` and `bench` must not
    # load, so that they run (and measure) the bot's process as it is.
    from nlu.evaluation import (
        cross_validate,
        evaluate_golden,
        evaluate_urgency,
        format_scores,
        load_golden,
        load_urgency_holdout,
    )

    paths = [Path(p) for p in args.data] if args.data else default_files()
    examples = load_examples(paths)
    print(f"# NLU evaluation\n\ndata: {', '.join(str(p) for p in paths)}\n")
    print(
        format_scores(
            f"{args.folds}-fold stratified cross-validation",
            cross_validate(examples, folds=args.folds),
        )
    )
    urgency_files = UrgencyClassifier.default_files()
    models = Models.train(examples, load_examples(urgency_files) if urgency_files else None)
    nlu = Nlu(models.category, models.urgency)
    holdout = load_urgency_holdout()
    if holdout:
        print("\n## urgency on the independent hold-out set (tests/data/urgency_holdout.yml)")
        for line in evaluate_urgency(nlu, holdout):
            print(line)
    golden = load_golden([Path(p) for p in args.golden] if args.golden else None)
    if golden:
        g = evaluate_golden(nlu, golden)
        print()
        print(format_scores("held-out golden set (trained on all the data)", g.categories))
        print(
            f"\nurgent: recall {g.urgent_recall:.3f}  precision {g.urgent_precision:.3f}  "
            f"(n={g.urgent_support})\n"
            f"region: correct {g.region_accuracy:.3f} of {g.region_support} that name one; "
            f"{g.region_false} found where none is named\n"
            f"place of detention: {g.detention_accuracy:.3f}\n"
            f"language: {g.language_accuracy:.3f}"
        )
    return 0


def bench(args: argparse.Namespace) -> int:
    paths = Models.default_files()
    # Make sure the cache exists, in another process, so what follows measures a load and
    # the memory of training is not counted.
    subprocess.run(
        [sys.executable, "-c", "from nlu.service import load_nlu; load_nlu()"], check=True
    )
    before = _rss_mb()
    started = time.perf_counter()
    nlu = load_nlu()
    # Keep only the current text's ranking (analyze() asks for it twice), so every text of
    # the run is computed afresh.
    nlu._cache_size = 1
    load_s = time.perf_counter() - started
    texts = [e.text for e in load_examples(default_files())]
    texts = (texts * (args.n // max(len(texts), 1) + 1))[: args.n]
    for t in texts[:50]:  # warm-up
        nlu.analyze(t)
    # Wall-clock time is what a citizen waits; CPU time (of this thread) leaves out the time
    # spent waiting for a core, which on a shared machine sets the wall-clock p99.
    wall, cpu = [], []
    for t in texts:
        s, c = time.perf_counter(), time.thread_time()
        nlu.analyze(t)
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - s) * 1000)

    def pick(timings: list[float], q: float) -> float:
        timings = sorted(timings)
        return timings[min(len(timings) - 1, int(q * len(timings)))]

    grown = _rss_mb() - before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy"}) or ["none"]
    print(
        f"model {data_fingerprint(paths)}: load {load_s:.3f} s (both models and the language "
        f"detector), memory +{grown:.1f} MB (process {_rss_mb():.0f} MB, peak {peak:.0f} MB; "
        f"scikit-learn/SciPy loaded: {', '.join(heavy)})\n"
        f"analyze() over {len(wall)} texts, one at a time: p50 {pick(wall, 0.5):.2f} ms, "
        f"p99 {pick(wall, 0.99):.2f} ms, max {max(wall):.2f} ms; CPU time p50 "
        f"{pick(cpu, 0.5):.2f} ms, p99 {pick(cpu, 0.99):.2f} ms"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("predict", help="one text per line on stdin, one JSON object per line out")
    ev = sub.add_parser("evaluate", help="cross-validation and golden-set report")
    ev.add_argument("--data", nargs="*", help="nlu.yml files (default: the shipped data)")
    ev.add_argument("--golden", nargs="*", help="golden YAML files (default: tests/data)")
    ev.add_argument("--folds", type=int, default=5)
    be = sub.add_parser("bench", help="latency, load time and memory")
    be.add_argument("-n", type=int, default=2000)
    args = parser.parse_args(argv)
    return {"predict": predict, "evaluate": evaluate, "bench": bench}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
