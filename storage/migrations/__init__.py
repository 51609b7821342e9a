"""Alembic migrations of the bot's database (a package, so that wheels ship it)."""
