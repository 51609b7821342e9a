"""Every user-facing string, from the Fluent files in `bot/locales/<lang>/*.ftl`."""

import html
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

from dialogs.intake import Text
from dialogs.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
log = logging.getLogger(__name__)


class Texts:
    """Fluent bundles per language; formats keys with HTML-escaped arguments."""

    def __init__(self, locales_dir: Path = LOCALES_DIR, languages: Iterable[str] = LANGUAGES):
        self._bundles: dict[str, FluentBundle] = {}
        for lang in languages:
            # use_isolating=False: Unicode bidi marks around arguments confuse screen readers
            # and Telegram shows them as stray characters; all our languages are left-to-right.
            bundle = FluentBundle([lang], use_isolating=False)
            for path in sorted((locales_dir / lang).glob("*.ftl")):
                bundle.add_resource(FluentResource(path.read_text(encoding="utf-8")))
            self._bundles[lang] = bundle

    def keys(self, lang: str) -> set[str]:
        return set(self._bundles[lang]._messages)  # fluent.runtime has no public list of keys

    def get(self, lang: str, key: str, **args: Any) -> str:
        """Format one message; user-supplied string arguments are escaped for HTML."""
        return self._format(lang, key, {k: self._arg(lang, v) for k, v in args.items()})

    def render(self, lang: str, text: Text) -> str:
        return self.get(lang, text.key, **text.args)

    def _arg(self, lang: str, value: Any) -> Any:
        if isinstance(value, Text):
            return self.render(lang, value)  # our own text: already safe
        if isinstance(value, tuple):
            return "\n".join(self._arg(lang, v) for v in value)
        if isinstance(value, str):
            return html.escape(value, quote=False)
        return value

    def _format(self, lang: str, key: str, args: Mapping[str, Any]) -> str:
        bundle = self._bundles.get(lang) or self._bundles[DEFAULT_LANGUAGE]
        if not bundle.has_message(key):
            log.error("missing text key=%s lang=%s", key, lang)
            bundle = self._bundles[DEFAULT_LANGUAGE]
            if not bundle.has_message(key):
                return key
        message = bundle.get_message(key)
        text, errors = bundle.format_pattern(message.value, dict(args))
        for error in errors:
            log.error("text key=%s lang=%s: %s", key, lang, error)
        return text
