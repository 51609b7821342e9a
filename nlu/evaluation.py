"""Measuring the NLU: cross-validation on the training data and a held-out golden set."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from sklearn.model_selection import StratifiedKFold

from dialogs.vocabulary import Category
from nlu.classifier import CategoryClassifier
from nlu.data import Example
from nlu.language import detect_language
from nlu.places import find_detention_place, find_region
from nlu.service import Nlu

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "tests" / "data"


@dataclass(frozen=True)
class GoldenItem:
    text: str
    language: str
    category: str
    urgent: bool
    region: str | None
    detention_place: str | None


def load_urgency_holdout(path: Path | None = None) -> list[dict[str, object]]:
    """Texts labelled urgent or not, written apart from all training data and rules."""
    path = path or GOLDEN_DIR / "urgency_holdout.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []


def evaluate_urgency(nlu: Nlu, items: Sequence[dict[str, object]]) -> list[str]:
    """Recall and precision of the urgency decision, per language and overall."""
    by_lang: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for item in items:
        by_lang[str(item["language"])].append(
            (bool(item["urgent"]), nlu.is_urgent(str(item["text"])))
        )
    lines = []
    everything = [p for v in by_lang.values() for p in v]
    for lang, pairs in [*sorted(by_lang.items()), ("all", everything)]:
        tp = sum(t and p for t, p in pairs)
        recall = tp / max(sum(t for t, _ in pairs), 1)
        precision = tp / max(sum(p for _, p in pairs), 1)
        lines.append(f"  {lang:4} recall {recall:.3f}  precision {precision:.3f}  n={len(pairs)}")
    return lines


def load_golden(paths: Sequence[Path] | None = None) -> list[GoldenItem]:
    paths = list(paths) if paths is not None else sorted(GOLDEN_DIR.glob("golden_*.yml"))
    items: list[GoldenItem] = []
    for path in paths:
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append(
                GoldenItem(
                    text=str(raw["text"]),
                    language=raw["language"],
                    category=raw["category"],
                    urgent=bool(raw.get("urgent", False)),
                    region=raw.get("region"),
                    detention_place=raw.get("detention_place"),
                )
            )
    return items


@dataclass
class Scores:
    n: int
    accuracy: float
    top3: float
    macro_f1: float
    per_category: dict[str, tuple[float, float, float, int]]
    per_language: dict[str, tuple[float, float, int]]
    confusion: tuple[list[str], np.ndarray]


def score(
    truth: Sequence[str], ranked: Sequence[list[tuple[Category, float]]], languages: Sequence[str]
) -> Scores:
    predicted = [r[0][0].value for r in ranked]
    in_top3 = [t in {c.value for c, _ in r[:3]} for t, r in zip(truth, ranked, strict=True)]
    labels = [c.value for c in Category]
    p, r, f, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    by_lang: dict[str, list[int]] = defaultdict(list)
    for i, lang in enumerate(languages):
        by_lang[lang].append(i)
    per_language = {
        lang: (
            float(np.mean([truth[i] == predicted[i] for i in idx])),
            float(np.mean([in_top3[i] for i in idx])),
            len(idx),
        )
        for lang, idx in sorted(by_lang.items())
    }
    return Scores(
        n=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        top3=float(np.mean(in_top3)),
        macro_f1=float(
            f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
        ),
        per_category={
            lab: (float(p[i]), float(r[i]), float(f[i]), int(support[i]))
            for i, lab in enumerate(labels)
        },
        per_language=per_language,
        confusion=(labels, confusion_matrix(truth, predicted, labels=labels)),
    )


def cross_validate(examples: Sequence[Example], folds: int = 5, seed: int = 7) -> Scores:
    """Stratified by category and language, so every fold has every mix."""
    texts = [e.text for e in examples]
    truth = [e.intent for e in examples]
    strata = [f"{e.intent}|{e.language}" for e in examples]
    ranked: list[list[tuple[Category, float]]] = [[] for _ in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, strata):
        model = CategoryClassifier.train([examples[i] for i in train])
        for i, r in zip(test, model.rank_many([texts[i] for i in test]), strict=True):
            ranked[i] = r
    languages = [e.language or detect_language(e.text) for e in examples]
    return score(truth, ranked, languages)


@dataclass
class GoldenScores:
    categories: Scores
    urgent_recall: float
    urgent_precision: float
    urgent_support: int
    region_accuracy: float  # among items that name a region
    region_false: int  # regions found where none is named
    region_support: int
    detention_accuracy: float
    language_accuracy: float


def evaluate_golden(nlu: Nlu, items: Sequence[GoldenItem]) -> GoldenScores:
    ranked = [nlu.rank(i.text) for i in items]
    cats = score([i.category for i in items], ranked, [i.language for i in items])
    urgent_pred = [nlu.is_urgent(i.text) for i in items]
    tp = sum(p and i.urgent for p, i in zip(urgent_pred, items, strict=True))
    urgent_support = sum(i.urgent for i in items)
    flagged = sum(urgent_pred)
    named = [i for i in items if i.region]
    region_hits = sum(
        (found.value if (found := find_region(i.text)) else None) == i.region for i in named
    )
    region_false = sum(find_region(i.text) is not None for i in items if not i.region)
    held = [i for i in items if i.detention_place]
    detention_hits = sum(
        (
            (found := find_detention_place(i.text)) is not None
            and found.casefold() in i.detention_place.casefold()
        )
        or (found or "").casefold() == i.detention_place.casefold()
        for i in held
    )
    return GoldenScores(
        categories=cats,
        urgent_recall=tp / urgent_support if urgent_support else 1.0,
        urgent_precision=tp / flagged if flagged else 1.0,
        urgent_support=urgent_support,
        region_accuracy=region_hits / len(named) if named else 1.0,
        region_false=region_false,
        region_support=len(named),
        detention_accuracy=detention_hits / len(held) if held else 1.0,
        language_accuracy=float(np.mean([detect_language(i.text) == i.language for i in items])),
    )


def format_scores(title: str, s: Scores) -> str:
    lines = [
        f"## {title}",
        f"examples {s.n}  accuracy {s.accuracy:.3f}  top-3 {s.top3:.3f}  "
        f"macro F1 {s.macro_f1:.3f}",
        "",
        "per language: language  accuracy  top-3  n",
    ]
    lines += [f"  {lang:8} {a:.3f}  {t:.3f}  {n}" for lang, (a, t, n) in s.per_language.items()]
    lines += ["", "per category: precision  recall  F1  n"]
    lines += [
        f"  {c:24} {p:.3f}  {r:.3f}  {f:.3f}  {n}" for c, (p, r, f, n) in s.per_category.items()
    ]
    labels, matrix = s.confusion
    short = [lab[:6] for lab in labels]
    lines += [
        "",
        "confusion matrix (rows: truth, columns: predicted)",
        " " * 26 + " ".join(f"{x:>6}" for x in short),
    ]
    lines += [
        f"  {lab:24}" + " ".join(f"{v:>6}" for v in row)
        for lab, row in zip(labels, matrix, strict=True)
    ]
    return "\n".join(lines)
