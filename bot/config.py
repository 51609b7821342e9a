"""Typed settings, read once at start from the environment and `.env`."""

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
    default_language: str = Field(default="ru", pattern="^(kk|ru|en)$")
    log_level: str = "INFO"

    @field_validator("bot_token")
    @classmethod
    def _reject_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip() in PLACEHOLDER_TOKENS:
            return None
        return value
