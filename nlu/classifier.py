"""Text classifiers: TF-IDF over character and word n-grams with a calibrated linear model.

Character n-grams carry Kazakh and Russian morphology (a stem with any ending) and survive
typos and Latin spelling; word n-grams add phrases. Two models read the same features: the
category (13 classes) and urgency (urgent / routine). The features are fitted once, on the
texts of both, so a story's n-grams are built once and both models are one small product
each (docs/nlu.md, "Speed").

scikit-learn trains the models; applying them needs only NumPy. Importing scikit-learn and
SciPy costs a process about 100 MB, so they are imported inside the training functions only,
and the cache holds a runtime form of plain arrays (`.npz`, read without pickle): the
vocabularies' terms, idf weights, SVM weights and Platt sigmoids (docs/nlu.md, "Speed and
size"). At run time a vocabulary is a sorted array of the terms' hashes (`TermIndex`), not a
dict: 117,000 n-grams cost 2.7 MB instead of 16.
The cache is keyed by the training files and MODEL_VERSION, so a start only loads it.
"""

import hashlib
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeVar

import numpy as np

from dialogs.vocabulary import Category
from nlu.data import DATA_DIR, URGENCY_DIR, Example, load_examples
from nlu.urgency import is_urgent as mentions_urgency

if TYPE_CHECKING:  # training only: never imported by the bot's runtime
    from scipy.sparse import csr_matrix
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer

log = logging.getLogger(__name__)

MODEL_VERSION = "8"  # bump when the features, models or cache format change
DEFAULT_CACHE_DIR = Path(os.environ.get("NLU_CACHE_DIR", Path.home() / ".cache" / "ombudsman-nlu"))
SVM_C = 0.5  # C and the calibration folds were chosen by cross-validation (docs/nlu.md)
CHAR_NGRAMS = (2, 6)
WORD_NGRAMS = (1, 2)
TOKEN_PATTERN = r"(?u)\b\w+\b"


def normalize(text: str) -> str:
    """Lower-case, fold ё, and collapse spaces; keep everything else for the n-grams."""
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


def build_vectorizers() -> list["TfidfVectorizer"]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=CHAR_NGRAMS,
        sublinear_tf=True,
        min_df=2,
        preprocessor=normalize,
        dtype=np.float64,
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=WORD_NGRAMS,
        sublinear_tf=True,
        preprocessor=normalize,
        token_pattern=TOKEN_PATTERN,
        dtype=np.float64,
    )
    return [chars, words]


def fit_vectorizers(texts: Sequence[str]) -> list["TfidfVectorizer"]:
    vectorizers = build_vectorizers()
    for v in vectorizers:
        v.fit(texts)
    return vectorizers


# The analysers below are scikit-learn's (`_char_wb_ngrams`, `_word_ngrams` of
# sklearn/feature_extraction/text.py, 1.9.1) for the settings above, copied so the bot need
# not import it; tests compare them with scikit-learn's on every training and golden text.


def char_wb_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside words, each word padded with one space on either side."""
    # scikit-learn first collapses runs of whitespace; split() ignores them anyway, and
    # normalize() has already collapsed them.
    grams: list[str] = []
    append = grams.append
    for w in text.split():
        w = f" {w} "
        length = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            append(w[:n])
            while offset + n < length:
                offset += 1
                append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once, not once per n
                break
    return grams


def word_ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    """Word n-grams joined by one space, unigrams first (as scikit-learn orders them)."""
    grams = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi + 1, len(tokens) + 1)):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def build_analyzer(spec: dict[str, Any]) -> Callable[[str], list[str]]:
    lo, hi = spec["ngram_range"]
    if spec["analyzer"] == "char_wb":
        return lambda text: char_wb_ngrams(normalize(text), lo, hi)
    if spec["analyzer"] == "word":
        findall = re.compile(spec["token_pattern"]).findall
        return lambda text: word_ngrams(findall(normalize(text)), lo, hi)
    raise ValueError(f"unknown analyzer {spec['analyzer']!r}")


def _spec_of(v: "TfidfVectorizer") -> dict[str, Any]:
    """The settings of a fitted vectorizer, refusing any the runtime would not reproduce."""
    reproducible = (
        v.analyzer in ("char_wb", "word")
        and v.preprocessor is normalize
        and v.tokenizer is None
        and v.stop_words is None
        and v.input == "content"
        and v.norm == "l2"
        and v.use_idf
        and v.sublinear_tf
        and not v.binary
    )
    if not reproducible:
        raise ValueError(f"the runtime features cannot reproduce {v!r}")
    spec: dict[str, Any] = {"analyzer": v.analyzer, "ngram_range": list(v.ngram_range)}
    if v.analyzer == "word":
        spec["token_pattern"] = v.token_pattern
    return spec


def fit_sklearn(x: "csr_matrix", labels: Sequence[str]) -> "CalibratedClassifierCV":
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    # Calibration turns SVM margins into probabilities the bot can threshold on. One SVM
    # calibrated on cross-validated margins (ensemble=False) is as accurate as an ensemble
    # and faster to apply; 5 folds give the sigmoids more data than 3 (docs/nlu.md).
    return CalibratedClassifierCV(LinearSVC(C=SVM_C), method="sigmoid", cv=5, ensemble=False).fit(
        x, list(labels)
    )


Vector = tuple[np.ndarray, np.ndarray]  # the column indices and values of one text's features


def _terms(utf8: bytes, chunk: int = 1 << 13) -> Iterator[str]:
    """The newline-separated terms of `utf8`, decoded a slice at a time: never a list of all
    70,000 str objects at once (~6 MB for a moment, and after the load ~1 MB more resident,
    measured). A newline byte is never part of a multi-byte UTF-8 character, so a slice ends
    between two terms."""
    start = 0
    while (end := utf8.find(b"\n", start + chunk)) >= 0:
        yield from _decode(utf8[start:end]).split("\n")
        start = end + 1
    yield from _decode(utf8[start:]).split("\n")


def _decode(utf8: bytes) -> str:
    return utf8.decode("utf-8", "surrogatepass")  # a lone surrogate in a term survives


class TermIndex:
    """A vectorizer's vocabulary (term -> column) as two arrays: the terms' 64-bit hashes,
    sorted, and each one's column, searched with `np.searchsorted`. A dict of 117,000 n-grams
    costs 16 MB (its str and int objects and its table); this, 12 bytes a term plus the terms
    in UTF-8 (kept for `save_runtime`): 2.7 MB (docs/nlu.md, "Speed and size").

    The hash is Python's own `hash()`, which a str caches: `Counter` has computed it already,
    so looking up a text's n-grams is no slower than with a dict (measured). It is keyed by a
    secret of each process, so the terms are hashed at each load. Exactness: two terms with
    one hash would share a column, so that is checked, and the index then falls back to a dict
    (exact; about 1 load in 5 billion, or always where hashes are narrower than 64 bits). An
    unseen n-gram is taken for a term only if its 64-bit hash equals one of ≤ 70,000 terms'
    hashes: ≤ 4e-15 an n-gram; and without the secret no text can be made to do it."""

    hash_of: ClassVar[Callable[[str], int]] = hash  # tests swap in a weak one (staticmethod)

    def __init__(self, utf8: bytes, size: int) -> None:
        """`utf8`: the terms in column order, a newline between them (as `save_runtime`
        writes them)."""
        if size < 1 or utf8.count(b"\n") != size - 1:
            raise ValueError(f"expected {size} terms")
        self.utf8 = utf8
        self.size = size
        self.hashes = np.fromiter(map(self.hash_of, _terms(utf8)), np.int64, size)
        self.columns = np.argsort(self.hashes).astype(np.int32)  # half the memory of int64
        self.hashes.sort()  # in place: one array fewer at the load's peak
        self.exact: dict[str, int] | None = None
        if sys.hash_info.width < 64 or bool((self.hashes[1:] == self.hashes[:-1]).any()):
            log.warning("nlu: two n-grams share a hash in this process; using a dict (~10 MB)")
            self.exact = dict(zip(_terms(utf8), range(size), strict=True))

    @classmethod
    def from_terms(cls, terms: Sequence[str]) -> Self:
        """From the terms in column order."""
        if any("\n" in t for t in terms):  # the analysers never cut one: whitespace is split
            raise ValueError("a term contains a newline")
        return cls("\n".join(terms).encode("utf-8", "surrogatepass"), len(terms))

    @classmethod
    def from_vocabulary(cls, vocabulary: dict[str, int]) -> Self:
        """From a scikit-learn `vocabulary_` (term -> column)."""
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        if [vocabulary[t] for t in terms] != list(range(len(terms))):
            raise ValueError("vocabulary columns are not 0..n-1")
        return cls.from_terms(terms)

    def __len__(self) -> int:
        return self.size

    def terms(self) -> list[str]:
        return list(_terms(self.utf8))

    def find(self, counts: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        """The columns of the counted n-grams that are terms, and their counts, in the order of
        `counts` (so the sums over them are the same as with a dict, to the last bit)."""
        if self.exact is not None:
            return self._find_exact(counts, self.exact)
        keys = np.fromiter(map(self.hash_of, counts), np.int64, len(counts))
        at = np.searchsorted(self.hashes, keys)
        np.minimum(at, self.size - 1, out=at)  # a key above every hash: no match, not an error
        hit = self.hashes[at] == keys
        tf = np.fromiter(counts.values(), np.float64, len(counts))[hit]
        return self.columns[at[hit]].astype(np.int64), tf

    @staticmethod
    def _find_exact(counts: Counter[str], exact: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        found = [(j, n) for gram, n in counts.items() if (j := exact.get(gram)) is not None]
        return (
            np.fromiter((j for j, _ in found), np.int64, len(found)),
            np.fromiter((n for _, n in found), np.float64, len(found)),
        )


@dataclass(eq=False)  # holds arrays: compared by identity
class FeaturePart:
    """One TF-IDF vectorizer as plain data: how to cut n-grams, their columns, their idf."""

    spec: dict[str, Any]
    vocabulary: TermIndex
    idf: np.ndarray

    def __post_init__(self) -> None:
        self.analyze = build_analyzer(self.spec)


class Features:
    """Character and word TF-IDF, each part L2-normalised, side by side (as a FeatureUnion).

    `vector()` computes one text the way scikit-learn's `transform` does (sublinear tf, idf,
    L2 norm), with NumPy alone: the same numbers to 1e-12 (tests/nlu)."""

    def __init__(self, parts: Sequence[FeaturePart]) -> None:
        self.parts = list(parts)
        self._parts: list[tuple[Callable[[str], list[str]], TermIndex, np.ndarray, int]] = []
        offset = 0
        for p in self.parts:
            self._parts.append((p.analyze, p.vocabulary, p.idf, offset))
            offset += len(p.vocabulary)
        self.size = offset

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Self:
        return cls.from_sklearn(fit_vectorizers(texts))

    @classmethod
    def from_sklearn(cls, vectorizers: Sequence["TfidfVectorizer"]) -> Self:
        return cls(
            [
                FeaturePart(
                    _spec_of(v),
                    TermIndex.from_vocabulary({str(k): int(j) for k, j in v.vocabulary_.items()}),
                    np.asarray(v.idf_, dtype=np.float64),
                )
                for v in vectorizers
            ]
        )

    def vector(self, text: str) -> Vector:
        indices, values = [], []
        for analyze, vocabulary, idf, offset in self._parts:
            idx, tf = vocabulary.find(Counter(analyze(text)))
            if not len(idx):
                continue
            part = (np.log(tf) + 1.0) * idf[idx]  # sublinear tf times idf, as scikit-learn
            part /= np.sqrt(part @ part)
            indices.append(idx + offset)
            values.append(part)
        if not indices:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        return np.concatenate(indices), np.concatenate(values)

    def transform(self, texts: Sequence[str]) -> "csr_matrix":
        """The texts as a sparse matrix, for training (imports SciPy)."""
        from scipy.sparse import csr_matrix

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
    def fit(cls, x: "csr_matrix", labels: Sequence[str]) -> Self:
        return cls.from_sklearn(fit_sklearn(x, labels))

    @classmethod
    def from_sklearn(cls, model: "CalibratedClassifierCV") -> Self:
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
        # scikit-learn's sigmoid, expit(-z), without SciPy. Clipped so that exp() cannot
        # overflow (a warning); p is then 1e-304 instead of 0. Cheaper than np.errstate.
        p = 1.0 / (1.0 + np.exp(np.minimum(self.slope * margins + self.offset, 700.0)))
        if len(self.classes) == 2:  # one margin, for the second class
            p = np.column_stack([1.0 - p[:, 0], p[:, 0]])
        else:
            total = p.sum(axis=1, keepdims=True)
            uniform = np.full_like(p, 1.0 / len(self.classes))
            p = np.divide(p, total, out=uniform, where=total != 0)
        p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0
        return p

    def probabilities(self, x: "csr_matrix") -> np.ndarray:
        """For a sparse matrix of texts (training and evaluation)."""
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
        # Row by row, not as a sparse matrix, so that no caller needs SciPy; the calibration
        # is per row, so the numbers are the same.
        rows = [self.probabilities_of(self.features.vector(t)) for t in texts]
        return np.array(rows).reshape(len(rows), len(self.labels))

    def probabilities_of(self, vector: Vector) -> np.ndarray:
        """For a text already turned into this model's features (`self.features.vector`)."""
        return self.model.probabilities_of(vector)

    @classmethod
    def train_from_files(cls, paths: Sequence[Path]) -> Self:
        return cls.train(load_examples(paths))

    def save(self, path: Path) -> None:
        save_runtime(path, self.features, {self.name: self.model})

    @classmethod
    def load(cls, path: Path) -> Self:
        features, models = load_runtime(path)
        return cls(features, models[cls.name])


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
        models = {"category": self.category.model}
        if self.urgency is not None:
            models["urgency"] = self.urgency.model
        save_runtime(path, self.category.features, models)

    @classmethod
    def load(cls, path: Path) -> Self:
        features, models = load_runtime(path)
        return cls(
            CategoryClassifier(features, models["category"]),
            UrgencyClassifier(features, models["urgency"]) if "urgency" in models else None,
        )


_MODEL_ARRAYS = ("weights", "bias", "slope", "offset")


def save_runtime(path: Path, features: Features, models: dict[str, CalibratedLinear]) -> None:
    """Features and models as plain arrays plus a JSON header, in one `.npz`: loading it runs
    no pickle and needs neither scikit-learn nor SciPy."""
    header = {
        "version": MODEL_VERSION,
        "parts": [{**p.spec, "size": len(p.vocabulary)} for p in features.parts],
        "models": {name: {"classes": m.classes} for name, m in models.items()},
    }
    arrays = {"header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
    for i, p in enumerate(features.parts):
        # The terms in column order, as UTF-8 with a newline between them: a fraction of the
        # JSON list of them (which wrote Cyrillic as \uXXXX) and no str objects at load.
        arrays[f"terms_{i}"] = np.frombuffer(p.vocabulary.utf8, dtype=np.uint8)
        arrays[f"idf_{i}"] = p.idf
    for name, m in models.items():
        for field in _MODEL_ARRAYS:
            arrays[f"{name}_{field}"] = getattr(m, field)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        np.savez(f, **arrays)
    tmp.replace(path)  # atomic: another process never reads half a file


def load_runtime(path: Path) -> tuple[Features, dict[str, CalibratedLinear]]:
    # Opened here, not by np.load, which leaves the file open when it is not a valid zip.
    with path.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        header = json.loads(npz["header"].tobytes())
        if header["version"] != MODEL_VERSION:
            raise ValueError(f"{path} is version {header['version']}, not {MODEL_VERSION}")
        parts = [_load_part(npz, i, spec) for i, spec in enumerate(header["parts"])]
        models = {
            name: CalibratedLinear(
                m["classes"], *(npz[f"{name}_{field}"] for field in _MODEL_ARRAYS)
            )
            for name, m in header["models"].items()
        }
    return Features(parts), models


def _load_part(npz: Any, i: int, spec: dict[str, Any]) -> FeaturePart:
    idf = npz[f"idf_{i}"]
    if len(idf) != spec["size"]:
        raise ValueError(f"part {i}: {len(idf)} idf weights for {spec['size']} terms")
    vocabulary = TermIndex(npz[f"terms_{i}"].tobytes(), spec["size"])
    return FeaturePart({k: v for k, v in spec.items() if k != "size"}, vocabulary, idf)


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
    cache = (cache_dir or DEFAULT_CACHE_DIR) / f"{kind.name}-{data_fingerprint(paths)}.npz"
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
