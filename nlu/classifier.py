"""Text classifiers: TF-IDF over character and word n-grams with a calibrated linear model.

Character n-grams carry Kazakh and Russian morphology (a stem with any ending) and survive
typos and Latin spelling; word n-grams add phrases. Two models share this: the category
(13 classes) and urgency (urgent / routine). A trained model is cached on disk under a key
made of its training files and MODEL_VERSION, so a start only loads it.
"""

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Self, TypeVar

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from dialogs.vocabulary import Category
from nlu.data import DATA_DIR, URGENCY_DIR, Example, load_examples
from nlu.urgency import is_urgent as mentions_urgency

log = logging.getLogger(__name__)

MODEL_VERSION = "5"  # bump when the pipeline below changes, so old caches are not used
DEFAULT_CACHE_DIR = Path(os.environ.get("NLU_CACHE_DIR", Path.home() / ".cache" / "ombudsman-nlu"))


def normalize(text: str) -> str:
    """Lower-case, fold ё, and collapse spaces; keep everything else for the n-grams."""
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


def build_pipeline() -> Pipeline:
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 6),
        sublinear_tf=True,
        min_df=2,
        preprocessor=normalize,
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        preprocessor=normalize,
        token_pattern=r"(?u)\b\w+\b",
    )
    # Calibration turns SVM margins into probabilities the bot can threshold on. One SVM
    # calibrated on cross-validated margins (ensemble=False) is as accurate as three and
    # twice as fast to apply (docs/nlu.md).
    model = CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3, ensemble=False)
    return Pipeline(
        [("features", FeatureUnion([("chars", chars), ("words", words)])), ("model", model)]
    )


class TextClassifier:
    """A trained pipeline that ranks labels for a text."""

    name: ClassVar[str] = "text"
    data_dir: ClassVar[Path] = DATA_DIR

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.labels: list[str] = [str(c) for c in pipeline.classes_]

    @classmethod
    def default_files(cls) -> list[Path]:
        return sorted(cls.data_dir.glob("*.yml"))

    @classmethod
    def train(cls, examples: Sequence[Example]) -> Self:
        pipeline = build_pipeline()
        pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        return cls(pipeline)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        joblib.dump(self.pipeline, tmp)
        tmp.replace(path)  # atomic: another process never reads half a file

    @classmethod
    def load(cls, path: Path) -> Self:
        return cls(joblib.load(path))


class CategoryClassifier(TextClassifier):
    name = "category"

    def rank(self, text: str) -> list[tuple[Category, float]]:
        """Every category with its probability, most likely first."""
        return self.rank_many([text])[0]

    def rank_many(self, texts: Sequence[str]) -> list[list[tuple[Category, float]]]:
        classes = [Category(c) for c in self.labels]
        ranked = []
        for row in self.probabilities(texts):
            ranked.append([(classes[i], float(row[i])) for i in np.argsort(-row)])
        return ranked


class UrgencyClassifier(TextClassifier):
    """Urgent or routine, trained on `urgency_data/` plus the category data relabelled: torture
    stories are urgent, and stories of categories that are rarely urgent (and that carry no
    urgent words) are routine. That widens "routine" to the whole range of ordinary
    complaints, so prisons and police alone do not make a story urgent."""

    name = "urgency"
    data_dir = URGENCY_DIR
    ROUTINE_CATEGORIES: ClassVar[frozenset[str]] = frozenset(
        {
            "labour",
            "housing",
            "social_security",
            "court_decision",
            "religion",
            "other",
            "disability",
        }
    )

    @classmethod
    def default_files(cls) -> list[Path]:
        own = sorted(URGENCY_DIR.glob("*.yml"))
        return [*own, *sorted(DATA_DIR.glob("*.yml"))] if own else []

    @classmethod
    def train(cls, examples: Sequence[Example]) -> Self:
        return super().train([r for e in examples if (r := cls._relabel(e)) is not None])

    @classmethod
    def _relabel(cls, e: Example) -> Example | None:
        if e.intent in ("urgent", "routine"):
            return e
        if e.intent == Category.TORTURE_ILL_TREATMENT:
            return Example(e.text, "urgent", e.language)
        if e.intent in cls.ROUTINE_CATEGORIES and not mentions_urgency(e.text):
            return Example(e.text, "routine", e.language)
        return None  # categories where urgency varies: their stories are not labelled

    def probability(self, text: str) -> float:
        """How likely the text describes an urgent case (torture, violence, danger to life)."""
        return self.probability_many([text])[0]

    def probability_many(self, texts: Sequence[str]) -> list[float]:
        column = self.labels.index("urgent")
        return [float(row[column]) for row in self.probabilities(texts)]


def data_fingerprint(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


T = TypeVar("T", bound=TextClassifier)


def load_or_train(
    kind: type[T],
    paths: Sequence[Path] | None = None,
    cache_dir: Path | None = None,
) -> T:
    """A model for the shipped data: from the cache if it is there, else trained now."""
    paths = list(paths) if paths is not None else kind.default_files()
    cache = (cache_dir or DEFAULT_CACHE_DIR) / f"{kind.name}-{data_fingerprint(paths)}.joblib"
    if cache.exists():
        try:
            return kind.load(cache)
        except Exception as e:  # a corrupt or incompatible cache is rebuilt, not fatal
            log.warning("nlu cache unreadable, retraining: %s", type(e).__name__)
    log.info("training the %s model (first start only; cached in %s)", kind.name, cache.parent)
    model = kind.train(load_examples(paths))
    try:
        model.save(cache)
    except OSError as e:
        log.warning("nlu cache not writable: %s", type(e).__name__)
    return model
