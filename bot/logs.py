"""Logging set-up: ids, never what people wrote."""

import logging

# These libraries log SQL parameters or request bodies at DEBUG, which would put citizens'
# stories, names and phones into the logs. They stay at WARNING whatever LOG_LEVEL says.
QUIET_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "aiohttp.access")


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
