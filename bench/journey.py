"""A citizen's complete intake as a script: the steps the load driver (bench.load) and the
end-to-end tests (tests/e2e) both take, so the two cannot drift apart.

A labour appeal from Pavlodar, in English, filed with buttons and typing: 18 updates (6
texts, 1 shared contact, 11 button presses) ending with an appeal number.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

# Found from here, not from bench.procs: the e2e tests import this module without psutil.
LOCALES = Path(__file__).resolve().parents[1] / "bot" / "locales" / "en"
NUMBER = re.compile(r"PAV-\d{4}-\d{6}")


class Labels:
    """The bot's English texts, read from its Fluent files (bench/ never imports bot/)."""

    def __init__(self) -> None:
        self.bundle = FluentBundle(["en"], use_isolating=False)
        for path in sorted(LOCALES.glob("*.ftl")):
            self.bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))

    def __call__(self, key: str, **args: Any) -> str:
        value, errors = self.bundle.format_pattern(self.bundle.get_message(key).value, args)
        assert not errors, errors
        return value


@dataclass(frozen=True)
class Step:
    """One citizen action: wait for `expect` (a regex) if given, then do `kind` with `value`.

    kind: "text" (send a message), "click" (press the button labelled `value` on the bot's
    newest message) or "contact" (share a phone number).
    """

    kind: str
    value: str
    expect: str | None = None
    also: tuple[str, ...] = ()  # other labels that do the same (the classifier's variants)


STORY = "My employer in Pavlodar has not paid my salary for three months."


def intake_steps(labels: Callable[..., str], story: str = STORY) -> list[Step]:
    """The complete intake; `labels` gives the bot's English text of a key (bench reads the
    Fluent files itself, the tests use bot.texts)."""
    en = labels
    return [
        Step("text", "/start"),
        Step("click", "English"),
        Step("click", en("choice-consent-agree")),
        Step("click", en("choice-filer-self")),
        Step("text", story, expect="Tell us what happened"),
        # The classifier proposes the category with one "Yes" button, or offers a few.
        Step(
            "click",
            en("button-category-yes", category=en("category-labour")),
            also=(en("category-labour"),),
        ),
        Step("click", en("choice-jurisdiction-continue")),
        Step("click", en("region-pavlodar")),
        Step("text", "LLP Pavlodar Build", expect="Which body or official"),
        Step("click", en("choice-incident-age-month")),
        Step("click", en("choice-prior-complaint-no")),
        Step("text", "To get my salary paid", expect="What do you ask for"),
        Step("text", "Aigerim Sarsenova", expect="Your full name"),
        Step("contact", "+77012345678", expect="Your phone number"),
        Step("click", en("button-skip")),
        Step("text", "Pavlodar, Lenin street 1", expect="postal address"),
        Step("click", en("choice-confidential-no")),
        Step("click", en("button-submit"), expect="Please check your appeal"),
    ]


def story_for(i: int) -> str:
    # A different text per citizen, so the NLU's small result cache does not answer for it.
    return (
        f"My employer in Pavlodar has not paid my salary for {3 + i % 9} months; "
        f"I worked at the plant as worker number {i}."
    )
