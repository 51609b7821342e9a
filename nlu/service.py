"""Everything the bot reads from a free-text story, in one place."""

from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from dialogs.vocabulary import Category, Region
from nlu.classifier import CategoryClassifier, Models, UrgencyClassifier, load_or_train
from nlu.places import find_detention_place, find_region
from nlu.urgency import is_urgent as mentions_urgency

# Recall first: a story is urgent when the words say so, OR the urgency model gives it at least
# this probability, OR the category model is this sure it is about torture. The thresholds
# are low on purpose and were chosen on cross-validation of the training data (docs/nlu.md).
URGENT_PROBABILITY = 0.30
URGENT_TORTURE_PROBABILITY = 0.35


@dataclass(frozen=True)
class Analysis:
    category: Category
    confidence: float
    top: list[tuple[Category, float]]
    urgent: bool
    language: str
    region: Region | None
    detention_place: str | None

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["top"] = [[c.value, round(p, 4)] for c, p in self.top]
        data["confidence"] = round(self.confidence, 4)
        data["region"] = self.region.value if self.region else None
        return data


class Nlu:
    """Category ranking, urgency, region, place of detention and language of a text."""

    def __init__(
        self,
        classifier: CategoryClassifier,
        urgency: UrgencyClassifier | None = None,
        cache_size: int = 256,
    ) -> None:
        self.classifier = classifier
        self.urgency = urgency
        # The bot asks for the ranking and for urgency of the same story: score it once.
        self._scores: OrderedDict[str, tuple[list[tuple[Category, float]], float]] = OrderedDict()
        self._cache_size = cache_size

    def scores(self, text: str) -> tuple[list[tuple[Category, float]], float]:
        """The category ranking and the urgency model's probability (0 without that model)."""
        if text in self._scores:
            self._scores.move_to_end(text)
            return self._scores[text]
        # One set of n-grams for both models when they share their features (load_nlu).
        vector = self.classifier.features.vector(text)
        ranked = self.classifier.ranking(self.classifier.probabilities_of(vector))
        urgent = 0.0
        if self.urgency is not None:
            if self.urgency.features is not self.classifier.features:
                vector = self.urgency.features.vector(text)
            urgent = self.urgency.probability_of(vector)
        self._scores[text] = (ranked, urgent)
        if len(self._scores) > self._cache_size:
            self._scores.popitem(last=False)
        return ranked, urgent

    def rank(self, text: str) -> list[tuple[Category, float]]:
        return self.scores(text)[0]

    def is_urgent(self, text: str) -> bool:
        if mentions_urgency(text):
            return True
        ranked, urgent = self.scores(text)
        if urgent >= URGENT_PROBABILITY:
            return True
        torture = dict(ranked).get(Category.TORTURE_ILL_TREATMENT, 0.0)
        return torture >= URGENT_TORTURE_PROBABILITY

    def analyze(self, text: str) -> Analysis:
        ranked = self.rank(text)
        return Analysis(
            category=ranked[0][0],
            confidence=ranked[0][1],
            top=ranked[:3],
            urgent=self.is_urgent(text),
            language=_language_of(text),
            region=find_region(text),
            detention_place=find_detention_place(text),
        )


def _language_of(text: str) -> str:
    # Imported here: the bot never asks (the citizen picks the language), and lingua costs a
    # bot process 16 MB (docs/performance.md).
    from nlu.language import detect_language

    return detect_language(text)


def load_nlu(cache_dir: Path | None = None, *, language_detector: bool = True) -> Nlu:
    """Both models on shared features, from the cache (or trained once); urgency only if its
    data is shipped. The language detector (for `analyze`) is loaded here too, so nobody
    waits for it; the bot, which only ranks and checks urgency, goes without it."""
    models = load_or_train(Models, cache_dir=cache_dir)
    if language_detector:
        from nlu.language import load_detector

        load_detector()
    return Nlu(models.category, models.urgency)
