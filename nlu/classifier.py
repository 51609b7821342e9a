"""The category classifier: TF-IDF over character and word n-grams, a calibrated linear model.

Character n-grams carry Kazakh and Russian morphology (a stem with any ending) and survive
typos and Latin spelling; word n-grams add phrases. The trained model is cached on disk under
a key made of the training data and this module's version, so a start only loads it.
"""

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from dialogs.vocabulary import Category
from nlu.data import Example, default_files, load_examples

log = logging.getLogger(__name__)

MODEL_VERSION = "1"  # bump when the pipeline below changes, so old caches are not used
DEFAULT_CACHE_DIR = Path(os.environ.get("NLU_CACHE_DIR", Path.home() / ".cache" / "ombudsman-nlu"))


def normalize(text: str) -> str:
    """Lower-case, fold ё, and collapse spaces; keep everything else for the n-grams."""
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


def build_pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    min_df=2,
                    preprocessor=normalize,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    min_df=1,
                    preprocessor=normalize,
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
        ]
    )
    # Calibration turns SVM margins into probabilities the bot can threshold on.
    model = CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3)
    return Pipeline([("features", features), ("model", model)])


@dataclass
class CategoryClassifier:
    pipeline: Pipeline

    @classmethod
    def train(cls, examples: Sequence[Example]) -> "CategoryClassifier":
        pipeline = build_pipeline()
        pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        return cls(pipeline)

    def rank(self, text: str) -> list[tuple[Category, float]]:
        """Every category with its probability, most likely first."""
        return self.rank_many([text])[0]

    def rank_many(self, texts: Sequence[str]) -> list[list[tuple[Category, float]]]:
        probabilities = self.pipeline.predict_proba(list(texts))
        classes = [Category(c) for c in self.pipeline.classes_]
        ranked = []
        for row in probabilities:
            order = np.argsort(-row)
            ranked.append([(classes[i], float(row[i])) for i in order])
        return ranked

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump(self.pipeline, tmp)
        tmp.replace(path)  # atomic: a second process never reads half a file

    @classmethod
    def load(cls, path: Path) -> "CategoryClassifier":
        return cls(joblib.load(path))


def data_fingerprint(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256(MODEL_VERSION.encode())
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_or_train(
    paths: Sequence[Path] | None = None, cache_dir: Path | None = None
) -> CategoryClassifier:
    """The classifier for the shipped data: from the cache if it is there, else trained now."""
    paths = list(paths) if paths is not None else default_files()
    cache = (cache_dir or DEFAULT_CACHE_DIR) / f"category-{data_fingerprint(paths)}.joblib"
    if cache.exists():
        try:
            return CategoryClassifier.load(cache)
        except Exception as e:  # a corrupt or incompatible cache is rebuilt, not fatal
            log.warning("nlu cache unreadable, retraining: %s", type(e).__name__)
    classifier = CategoryClassifier.train(load_examples(paths))
    try:
        classifier.save(cache)
    except OSError as e:
        log.warning("nlu cache not writable: %s", type(e).__name__)
    return classifier
