"""Text classifiers: TF-IDF over character and word n-grams with a calibrated linear model.

Character n-grams carry Kazakh and Russian morphology (a stem with any ending) and survive
typos and Latin spelling; word n-grams add phrases. Two models read the same features: the
category (13 classes) and urgency (urgent / routine). The features are fitted once, on the
texts of both, so a story's n-grams are built once and both models are one small product
each (docs/nlu.md, "Speed"). The trained models are cached on disk under a key made of their
training files and MODEL_VERSION, so a start only loads them.
"""

import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, Self, TypeVar

import joblib
import numpy as np
from scipy.sparse import csr_matrix
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from dialogs.vocabulary import Category
from nlu.data import DATA_DIR, URGENCY_DIR, Example, load_examples
from nlu.urgency import is_urgent as mentions_urgency

log = logging.getLogger(__name__)

MODEL_VERSION = "6"  # bump when the features or models below change, so old caches are not used
DEFAULT_CACHE_DIR = Path(os.environ.get("NLU_CACHE_DIR", Path.home() / ".cache" / "ombudsman-nlu"))
SVM_C = 0.5  # C and the calibration folds were chosen by cross-validation (docs/nlu.md)


def normalize(text: str) -> str:
    """Lower-case, fold ё, and collapse spaces; keep everything else for the n-grams."""
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


def build_vectorizers() -> list[TfidfVectorizer]:
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 6),
        sublinear_tf=True,
        min_df=2,
        preprocessor=normalize,
        dtype=np.float64,
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        preprocessor=normalize,
        token_pattern=r"(?u)\b\w+\b",
        dtype=np.float64,
    )
    return [chars, words]


Vector = tuple[np.ndarray, np.ndarray]  # the column indices and values of one text's features


class Features:
    """Character and word TF-IDF, each part L2-normalised, side by side (as a FeatureUnion).

    `vector()` computes one text the way scikit-learn's `transform` does, without its input
    validation, which cost more than the arithmetic for a single text."""

    def __init__(self, vectorizers: Sequence[TfidfVectorizer]) -> None:
        self.vectorizers = list(vectorizers)
        for v in self.vectorizers:
            # The n-grams dropped by min_df: only kept for inspection, and the largest part of
            # the pickle (safe to delete, per scikit-learn's documentation).
            if hasattr(v, "stop_words_"):
                del v.stop_words_
        self._prepare()

    def _prepare(self) -> None:
        self._parts: list[tuple[Callable[[str], list[str]], dict[str, int], np.ndarray, int]] = []
        offset = 0
        for v in self.vectorizers:
            self._parts.append((v.build_analyzer(), v.vocabulary_, v.idf_, offset))
            offset += len(v.vocabulary_)
        self.size = offset

    def __getstate__(self) -> dict[str, object]:
        return {"vectorizers": self.vectorizers}  # analysers are closures: rebuilt on load

    def __setstate__(self, state: dict[str, object]) -> None:
        self.vectorizers = state["vectorizers"]  # type: ignore[assignment]
        self._prepare()

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Self:
        vectorizers = build_vectorizers()
        for v in vectorizers:
            v.fit(texts)
        return cls(vectorizers)

    def vector(self, text: str) -> Vector:
        indices, values = [], []
        for analyze, vocabulary, idf, offset in self._parts:
            counts = Counter(analyze(text))
            found = [
                (j, n) for gram, n in counts.items() if (j := vocabulary.get(gram)) is not None
            ]
            if not found:
                continue
            idx = np.fromiter((j for j, _ in found), np.int64, len(found))
            tf = np.fromiter((n for _, n in found), np.float64, len(found))
            part = (np.log(tf) + 1.0) * idf[idx]  # sublinear tf times idf, as scikit-learn
            part /= np.sqrt(part @ part)
            indices.append(idx + offset)
            values.append(part)
        if not indices:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        return np.concatenate(indices), np.concatenate(values)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        rows = [self.vector(t) for t in texts]
        indptr = np.cumsum([0, *(len(i) for i, _ in rows)])
        return csr_matrix(
            (
                np.concatenate([v for _, v in rows]) if rows else np.zeros(0),
                np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int64),
                indptr,
            ),
            shape=(len(rows), self.size),
        )


@dataclass
class CalibratedLinear:
    """A linear SVM with one sigmoid per class (Platt), fitted by scikit-learn and applied as
    plain NumPy: the same numbers as `CalibratedClassifierCV.predict_proba`, a tenth of the
    time for one text (no per-call validation of 13 calibrators)."""

    classes: list[str]
    weights: np.ndarray  # features x decision columns (1 column for two classes)
    bias: np.ndarray
    slope: np.ndarray  # the sigmoids: p = 1 / (1 + exp(slope * margin + offset))
    offset: np.ndarray

    @classmethod
    def fit(cls, x: csr_matrix, labels: Sequence[str]) -> Self:
        # Calibration turns SVM margins into probabilities the bot can threshold on. One SVM
        # calibrated on cross-validated margins (ensemble=False) is as accurate as an ensemble
        # and faster to apply; 5 folds give the sigmoids more data than 3 (docs/nlu.md).
        model = CalibratedClassifierCV(
            LinearSVC(C=SVM_C), method="sigmoid", cv=5, ensemble=False
        ).fit(x, list(labels))
        return cls.from_sklearn(model)

    @classmethod
    def from_sklearn(cls, model: CalibratedClassifierCV) -> Self:
        (calibrated,) = model.calibrated_classifiers_
        svm = calibrated.estimator
        return cls(
            classes=[str(c) for c in model.classes_],
            weights=np.ascontiguousarray(svm.coef_.T, dtype=np.float64),
            bias=np.asarray(svm.intercept_, dtype=np.float64),
            slope=np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64),
            offset=np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64),
        )

    def _calibrate(self, margins: np.ndarray) -> np.ndarray:
        p = expit(-(self.slope * margins + self.offset))
        if len(self.classes) == 2:  # one margin, for the second class
            p = np.column_stack([1.0 - p[:, 0], p[:, 0]])
        else:
            total = p.sum(axis=1, keepdims=True)
            uniform = np.full_like(p, 1.0 / len(self.classes))
            p = np.divide(p, total, out=uniform, where=total != 0)
        p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0
        return p

    def probabilities(self, x: csr_matrix) -> np.ndarray:
        return self._calibrate(np.asarray(x @ self.weights) + self.bias)

    def probabilities_of(self, vector: Vector) -> np.ndarray:
        idx, values = vector
        return self._calibrate((values @ self.weights[idx] + self.bias)[np.newaxis, :])[0]


class TextClassifier:
    """A calibrated linear model over (possibly shared) features that ranks labels."""

    name: ClassVar[str] = "text"
    data_dir: ClassVar[Path] = DATA_DIR

    def __init__(self, features: Features, model: CalibratedLinear) -> None:
        self.features = features
        self.model = model
        self.labels: list[str] = model.classes

    @classmethod
    def default_files(cls) -> list[Path]:
        return sorted(cls.data_dir.glob("*.yml"))

    @classmethod
    def prepare(cls, examples: Sequence[Example]) -> list[Example]:
        """The examples this model learns from (as given, unless a subclass relabels)."""
        return list(examples)

    @classmethod
    def train(cls, examples: Sequence[Example], features: Features | None = None) -> Self:
        """Trained on `examples`; on features fitted to them unless shared ones are given."""
        examples = cls.prepare(examples)
        texts = [e.text for e in examples]
        features = features or Features.fit(texts)
        return cls(
            features, CalibratedLinear.fit(features.transform(texts), [e.intent for e in examples])
        )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.probabilities(self.features.transform(list(texts)))

    def probabilities_of(self, vector: Vector) -> np.ndarray:
        """For a text already turned into this model's features (`self.features.vector`)."""
        return self.model.probabilities_of(vector)

    @classmethod
    def train_from_files(cls, paths: Sequence[Path]) -> Self:
        return cls.train(load_examples(paths))

    def save(self, path: Path) -> None:
        _dump(self, path)

    @classmethod
    def load(cls, path: Path) -> Self:
        return _load(cls, path)


class CategoryClassifier(TextClassifier):
    name = "category"

    def rank(self, text: str) -> list[tuple[Category, float]]:
        """Every category with its probability, most likely first."""
        return self.ranking(self.probabilities_of(self.features.vector(text)))

    def rank_many(self, texts: Sequence[str]) -> list[list[tuple[Category, float]]]:
        return [self.ranking(row) for row in self.probabilities(texts)]

    def ranking(self, row: np.ndarray) -> list[tuple[Category, float]]:
        return [(Category(self.labels[i]), float(row[i])) for i in np.argsort(-row)]


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
    def prepare(cls, examples: Sequence[Example]) -> list[Example]:
        return [r for e in examples if (r := cls._relabel(e)) is not None]

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
        return self.probability_of(self.features.vector(text))

    def probability_of(self, vector: Vector) -> float:
        return float(self.probabilities_of(vector)[self.labels.index("urgent")])

    def probability_many(self, texts: Sequence[str]) -> list[float]:
        column = self.labels.index("urgent")
        return [float(row[column]) for row in self.probabilities(texts)]


@dataclass
class Models:
    """Both models on one set of features: what the bot loads."""

    name: ClassVar[str] = "nlu"
    category: CategoryClassifier
    urgency: UrgencyClassifier | None

    @classmethod
    def default_files(cls) -> list[Path]:
        return sorted({*CategoryClassifier.default_files(), *UrgencyClassifier.default_files()})

    @classmethod
    def train(cls, category: Sequence[Example], urgency: Sequence[Example] | None = None) -> Self:
        urgency = UrgencyClassifier.prepare(urgency) if urgency else []
        # Fitted on every distinct text of both models, so the vocabulary and the idf weights
        # cover urgent stories as well as the categories.
        texts = list(dict.fromkeys([*(e.text for e in category), *(e.text for e in urgency)]))
        features = Features.fit(texts)
        return cls(
            CategoryClassifier.train(category, features),
            UrgencyClassifier.train(urgency, features) if urgency else None,
        )

    @classmethod
    def train_from_files(cls, paths: Sequence[Path]) -> Self:
        urgency = [p for p in paths if Path(p).resolve().parent == URGENCY_DIR.resolve()]
        category = [p for p in paths if p not in urgency]
        # The urgency model also learns from the category stories (UrgencyClassifier.prepare).
        return cls.train(
            load_examples(category), load_examples([*urgency, *category]) if urgency else None
        )

    def save(self, path: Path) -> None:
        _dump(self, path)

    @classmethod
    def load(cls, path: Path) -> Self:
        return _load(cls, path)


def _dump(obj: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    joblib.dump(obj, tmp)
    tmp.replace(path)  # atomic: another process never reads half a file


M = TypeVar("M")


def _load(kind: type[M], path: Path) -> M:
    loaded = joblib.load(path)
    if not isinstance(loaded, kind):
        raise TypeError(f"{path} holds a {type(loaded).__name__}, not a {kind.__name__}")
    return loaded


def data_fingerprint(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for path in sorted(paths):
        digest.update(f"{path.parent.name}/{path.name}".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class Trainable(Protocol):
    name: ClassVar[str]

    @classmethod
    def default_files(cls) -> list[Path]: ...

    @classmethod
    def train_from_files(cls, paths: Sequence[Path]) -> Self: ...

    @classmethod
    def load(cls, path: Path) -> Self: ...

    def save(self, path: Path) -> None: ...


T = TypeVar("T", bound=Trainable)


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
    model = kind.train_from_files(paths)
    try:
        model.save(cache)
    except OSError as e:
        log.warning("nlu cache not writable: %s", type(e).__name__)
    return model
