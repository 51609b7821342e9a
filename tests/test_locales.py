"""Every text exists in Kazakh, Russian and English, with the same arguments, and every key the
code asks for exists."""

import re
from pathlib import Path

import pytest
from fluent.syntax import FluentParser, ast

from bot.texts import LOCALES_DIR, Texts
from dialogs.catalog import load_catalog
from dialogs.script import STEPS, Kind
from dialogs.vocabulary import LANGUAGES, AppealStatus, Category, Region

ROOT = Path(__file__).resolve().parents[1]


def messages(lang: str) -> dict[str, set[str]]:
    """Key -> names of the variables it uses, over all files of a language."""
    found: dict[str, set[str]] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        junk = [e for e in resource.body if isinstance(e, ast.Junk)]
        assert not junk, f"{path}: {junk[0].annotations[0].message}"
        for entry in resource.body:
            if isinstance(entry, ast.Message):
                assert entry.id.name not in found, f"{entry.id.name} twice in {lang}"
                found[entry.id.name] = set(re.findall(r"\$([a-z_]+)", _source(entry)))
    return found


def _source(entry: ast.Message) -> str:
    from fluent.syntax import FluentSerializer

    return FluentSerializer().serialize_entry(entry)


ALL = {lang: messages(lang) for lang in LANGUAGES}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_key_exists_in_every_language_with_the_same_arguments(lang):
    assert set(ALL[lang]) == set(ALL["en"])
    differ = {k for k in ALL["en"] if ALL[lang][k] != ALL["en"][k]}
    assert differ == set()


def keys_the_code_needs() -> set[str]:
    catalog = load_catalog()
    keys = {f"category-{c}" for c in Category} | {f"category-{c}-hint" for c in Category}
    keys |= {f"juris-{c}-{part}" for c in Category for part in ("can", "cannot", "next")}
    keys |= {f"region-{r}" for r in Region} | {f"status-{s}" for s in AppealStatus}
    keys |= {f"body-{b}" for c in catalog.categories.values() for b in c.bodies}
    keys |= {f"hotline-{h}" for h in catalog.hotlines}
    for step in STEPS:
        keys.add(step.prompt_key)
        if step.kind not in (Kind.CATEGORY, Kind.REGION):
            keys |= {step.label_key(v) for v in step.choices}
    # Literal keys written in the code: Text("key"...), texts.get(lang, "key"...), _btn("key"...)
    pattern = re.compile(
        r"""(?:Text|_btn|_Invalid|FileRejected|\.get\(\s*\w+(?:\.\w+)?,)\(?\s*["']([a-z][a-z0-9-]+)["']"""
    )
    for package in ("bot", "dialogs"):
        for path in (ROOT / package).rglob("*.py"):
            keys |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_the_code_uses_exists():
    missing = keys_the_code_needs() - set(ALL["en"])
    assert missing == set()


def test_texts_escape_what_people_typed_but_not_our_own_markup():
    texts = Texts()
    out = texts.get("en", "summary-line", label="Name", value="<script>&")
    assert out == "<b>Name:</b> &lt;script&gt;&amp;"


def test_every_text_renders_to_valid_html_for_telegram():
    """Rendered with sample arguments, a text has only <b> and <i> and no bare < > or &."""
    texts = Texts()
    for lang in LANGUAGES:
        for key, variables in ALL[lang].items():
            rendered = texts.get(lang, key, **dict.fromkeys(variables, 5))
            assert rendered
            assert rendered != key
            stripped = re.sub(r"</?(b|i)>", "", rendered)
            assert not re.search(r"[<>]|&(?!(lt|gt|amp|quot);)", stripped), (lang, key)
            assert len(rendered) <= 4096, (lang, key)
