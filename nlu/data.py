"""Training data in Rasa's `nlu.yml` format (version "3.1"), read without Rasa."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"  # categories: one intent per category id
URGENCY_DIR = Path(__file__).parent / "urgency_data"  # intents "urgent" and "routine"
# Rasa marks entities inline as [text](entity); the classifier wants the plain text.
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]+\)")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    language: str | None


def default_files() -> list[Path]:
    """The category training files."""
    return sorted(DATA_DIR.glob("*.yml"))


def load_examples(paths: Iterable[Path] | None = None) -> list[Example]:
    """Every example of every intent block in the files, with the block's language."""
    examples: list[Example] = []
    for path in paths if paths is not None else default_files():
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu", []):
            if "intent" not in block:
                continue  # synonyms, lookups and regexes are not training examples
            language = (block.get("metadata") or {}).get("language")
            for line in str(block.get("examples", "")).splitlines():
                text = _ENTITY.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text:
                    examples.append(Example(text, block["intent"], language))
    return examples
