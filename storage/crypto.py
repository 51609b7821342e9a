"""Encryption at rest: a keyring of Fernet keys, encrypted column types, and the IIN's blind index.

What people wrote (names, phones, IINs, addresses, the story, the other free texts, drafts and
the appeals' threads) is stored as Fernet tokens (AES-128-CBC with HMAC-SHA256, from the
`cryptography` library), so that the database alone, or a dump or a backup of it, reveals
nothing sensitive. What statistics and routing need (category, region, status, dates, flags,
queue) stays in clear, so that storage.report and the queue queries still work in SQL.

Keys. `Keyring` holds a list of Fernet keys, newest first (cryptography's MultiFernet): it
encrypts with the first and decrypts with any, so a key change is: put the new key first,
restart, run `python -m storage.keys rotate`, then drop the old key (see storage.keys). A
separate key makes the blind index of the IIN: HMAC-SHA256 of the normalised IIN, so staff can
find the appeals of an IIN by equality without the IIN being readable in the database.

How the keys reach the column types. SQLAlchemy builds the types when storage.models is
imported, long before the settings are read, and hands `process_bind_param` only the value and
the dialect. So the keyring is installed once per process, by whoever owns the configuration:
run_bot.py, the storage CLIs (from the environment) and the tests' fixtures. storage never reads
the bot's settings (layering). One process works with one set of keys, so a module-level
keyring loses nothing; using an encrypted column before `install_keyring` fails with one clear
sentence rather than writing plaintext.
"""

import hashlib
import hmac
import json
import os
import unicodedata
from base64 import urlsafe_b64decode
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

ENCRYPTION_KEYS_VARIABLE = "ENCRYPTION_KEYS"
BLIND_INDEX_KEY_VARIABLE = "BLIND_INDEX_KEY"
# The blind index key is 32 random bytes, like a Fernet key (HMAC-SHA256's block needs no more).
BLIND_INDEX_KEY_BYTES = 32
DIGEST_LENGTH = 64  # hex characters of an HMAC-SHA256


class KeyConfigError(ValueError):
    """A key is missing or malformed; the message says which setting, never the key."""


class NotConfiguredError(RuntimeError):
    """An encrypted column was used before the process installed its keyring."""


class UndecryptableError(RuntimeError):
    """A stored value opens with none of the configured keys."""


class Keyring:
    """Fernet keys (newest first) for the columns, and the blind index key for the IIN."""

    def __init__(self, encryption_keys: Sequence[str], blind_index_key: str) -> None:
        keys = [k.strip() for k in encryption_keys if k.strip()]
        if not keys:
            raise KeyConfigError(f"{ENCRYPTION_KEYS_VARIABLE} holds no key")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # Never echo the key: the message goes to logs and terminals.
                raise KeyConfigError(
                    f"{ENCRYPTION_KEYS_VARIABLE}: key {position} is not a Fernet key "
                    "(make one with `python -m storage.keys generate`)"
                ) from None
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)
        self._blind = _decode_blind_index_key(blind_index_key)
        self.key_count = len(fernets)

    @classmethod
    def from_strings(cls, encryption_keys: str, blind_index_key: str) -> "Keyring":
        """Build from the settings' form: keys separated by commas, newest first."""
        return cls(encryption_keys.split(","), blind_index_key)

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> "Keyring":
        """Build from ENCRYPTION_KEYS and BLIND_INDEX_KEY (for the command-line tools)."""
        environ = dict(os.environ if environ is None else environ)
        keys = environ.get(ENCRYPTION_KEYS_VARIABLE, "").strip()
        blind = environ.get(BLIND_INDEX_KEY_VARIABLE, "").strip()
        if not keys:
            raise KeyConfigError(f"{ENCRYPTION_KEYS_VARIABLE} is not set")
        if not blind:
            raise KeyConfigError(f"{BLIND_INDEX_KEY_VARIABLE} is not set")
        return cls.from_strings(keys, blind)

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise UndecryptableError(
                "a stored value opens with none of ENCRYPTION_KEYS "
                "(was a key removed before `python -m storage.keys rotate` finished?)"
            ) from None

    def is_current(self, token: str) -> bool:
        """Whether the newest key alone opens the token (so rotation can skip it)."""
        try:
            self._primary.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key (it may be under any configured key)."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise UndecryptableError("a stored value opens with none of ENCRYPTION_KEYS") from None

    def blind_index(self, iin: str | None) -> str | None:
        """The keyed digest of a normalised IIN, or None if there is no IIN."""
        normalised = normalize_iin(iin)
        if not normalised:
            return None
        return hmac.new(self._blind, normalised.encode("ascii"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show key material, even in a debugger or a traceback
        return f"Keyring(<{self.key_count} encryption key(s)>, <blind index key>)"


def normalize_iin(iin: str | None) -> str:
    """The IIN's digits only: "900101 300 123", "900101-300123" and full-width digits agree."""
    if iin is None:
        return ""
    folded = unicodedata.normalize("NFKC", iin)
    return "".join(ch for ch in folded if ch.isascii() and ch.isdigit())


def generate_key() -> str:
    """A new random key, usable both as a Fernet key and as a blind index key."""
    return Fernet.generate_key().decode("ascii")


def _decode_blind_index_key(key: str) -> bytes:
    try:
        raw = urlsafe_b64decode(key.strip().encode("ascii"))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) < BLIND_INDEX_KEY_BYTES:
        raise KeyConfigError(
            f"{BLIND_INDEX_KEY_VARIABLE} is not a key of 32 random bytes in url-safe base64 "
            "(make one with `python -m storage.keys generate`)"
        )
    return raw


_keyring: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> None:
    """Set the process's keyring (None removes it: for tests)."""
    global _keyring
    _keyring = keyring


def current_keyring() -> Keyring:
    """The installed keyring; fails with one sentence if there is none yet."""
    if _keyring is None:
        raise NotConfiguredError(
            "no encryption keys installed: the program must call "
            "storage.crypto.install_keyring() before touching encrypted columns"
        )
    return _keyring


class EncryptedText(TypeDecorator[str]):
    """A str stored as a Fernet token in a Text column."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedText takes str, got {type(value).__name__}")
        return current_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_keyring().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A dict or list, serialised as JSON and stored as a Fernet token in a Text column.

    None is SQL NULL. Being opaque, such a column cannot be queried inside in SQL.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        serialised = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return current_keyring().encrypt(serialised)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(current_keyring().decrypt(value))
