"""Logging set-up: ids, never what people wrote."""

import logging

# These libraries log SQL parameters or request bodies at DEBUG, which would put citizens'
# stories, names and phones into the logs. They stay at WARNING whatever LOG_LEVEL says.
QUIET_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "aiohttp.access")


# aiogram logs a line per handled update at INFO: under load that is a tenth of the bot's CPU
# (docs/performance.md) for nothing the logs need. Shown with LOG_LEVEL=DEBUG or LOG_UPDATES.
CHATTY_LOGGERS = ("aiogram.event",)


def configure_logging(level: str, *, log_updates: bool = False) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if not log_updates and logging.getLevelName(level.upper()) != logging.DEBUG:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
