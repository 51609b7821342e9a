"""Typed settings, read once at start from the environment and `.env`."""

import re

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_TOKENS = {"", "changeme", "your-token-here", "123456:ABC"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # The token from @BotFather. A secret: never logged, never committed.
    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./ombudsman.db"
    # Apply Alembic migrations at start. On by default for the embedded SQLite; in production
    # run `alembic upgrade head` as a release step and set this to false.
    auto_migrate: bool = True
    # Where the Bot API lives: Telegram's, a self-hosted telegram-bot-api server, or the
    # local sandbox.
    telegram_api_base: str | None = None
    # Webhook mode: set WEBHOOK_URL (the public https address Telegram will POST to) and a
    # WEBHOOK_SECRET; the bot listens on WEBHOOK_HOST:WEBHOOK_PORT behind your proxy.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    # Let several bot processes listen on the same WEBHOOK_PORT (SO_REUSEPORT, Linux): the
    # kernel spreads the incoming connections over them. Needs REDIS_URL for shared state.
    webhook_reuse_port: bool = False
    # Updates one process handles at the same time; the rest wait at Telegram (webhook: its
    # max_connections) or in the fetched batch (polling). Unbounded, a burst of thousands of
    # citizens made every update wait for a database connection until the pool timed out.
    concurrent_updates: int = Field(default=40, ge=1, le=100)
    # Conversation state (a representative's pending question, a citizen's pending answer)
    # and per-chat locks across several bot processes. Empty: in memory, one process only.
    redis_url: str | None = None
    # The first administrators (Telegram user ids), registered at every start; they add the
    # other staff with /staff_add. Example: FIRST_ADMIN_IDS=[123456789]
    first_admin_ids: list[int] = Field(default_factory=list)
    # Optional group chats that also receive a queue's new appeals, e.g.
    # QUEUE_CHATS={"region:pavlodar": -1001234567890, "central": -1009876543210}
    queue_chats: dict[str, int] = Field(default_factory=dict)
    # How often the deadline watcher looks at the database (seconds).
    deadline_check_seconds: int = 300
    # The outbox (messages owed to people): how often each process looks for letters a crash
    # or an outage left behind, how long a process may hold letters it is delivering, and
    # this process's share of Telegram's ~30 messages a second (divide by the processes).
    outbox_sweep_seconds: float = 1.0
    outbox_lease_seconds: float = Field(default=30.0, gt=1)
    outbox_rate: float = Field(default=30.0, gt=0)
    # Telegram's pace per chat: one message a second in a private chat (short bursts pass),
    # twenty a minute in a group. Only a load test against a local Bot API raises them.
    outbox_chat_rate: float = Field(default=1.0, gt=0)
    outbox_group_rate: float = Field(default=20 / 60, gt=0)
    # Encryption at rest (storage.crypto; README "Encryption and retention"). Secrets, never
    # logged: Fernet keys separated by commas, newest first, and the key of the IIN's blind
    # index. Make each with `python -m storage.keys generate`. Required except in --sandbox.
    encryption_keys: SecretStr | None = None
    blind_index_key: SecretStr | None = None
    # Closed appeals are anonymised this many days after closing (storage.retention); 0: never
    # by age. A placeholder: the legal storage period is not confirmed by the project's sources.
    retention_days: int = Field(default=1825, ge=0)
    default_language: str = Field(default="ru", pattern="^(kk|ru|en)$")
    log_level: str = "INFO"
    # A line per handled update (ids and duration), e.g. to see how updates spread over
    # several processes. Off by default: under load it costs a tenth of the CPU.
    log_updates: bool = False

    @field_validator("bot_token")
    @classmethod
    def _reject_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip() in PLACEHOLDER_TOKENS:
            return None
        return value

    @field_validator("encryption_keys", "blind_index_key")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        # `ENCRYPTION_KEYS=` as in .env.example means "not set", not "a key of zero length".
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts only these characters in secret_token.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value
