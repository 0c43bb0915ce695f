"""Navigator's logs: one setup for the CLI, the MCP server and the app.

Every module that does I/O or decides something has its own logger
(``logging.getLogger(__name__)``); this module only says where records go and how they look::

    configure_logging()          # reads NAVIGATOR_LOG_LEVEL (unset: no log lines) and NAVIGATOR_LOG_FORMAT
    logging.getLogger("core.cluster").info("applied %s", name)

``NAVIGATOR_LOG_FORMAT=json`` writes one JSON object per line (the hosted image sets it, for the
cluster's log collector); anything else writes plain lines. Every record's message and arguments
pass through :func:`core.secrets.redact` first: a token that reaches a log line by mistake (an
error a library formatted with a header in it) is masked there as everywhere else.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

from core.secrets import redact

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_HANDLER_NAME = "navigator"


class RedactingFilter(logging.Filter):
    """Masks anything secret-looking in a record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Send the ``core``, ``navigator`` and ``frontend`` loggers to stderr at ``level`` (default:
    ``NAVIGATOR_LOG_LEVEL``) as plain lines or JSON (``NAVIGATOR_LOG_FORMAT``).

    With no level set nothing is written: a command says its own errors in one line, and a log
    line beside it would only repeat them. Calling it again replaces the earlier setup; an unknown
    level logs at WARNING and says so."""
    wanted = (level or os.environ.get("NAVIGATOR_LOG_LEVEL") or "").strip().upper()
    chosen = wanted if wanted in LEVELS else ("WARNING" if wanted else None)
    as_json = (fmt or os.environ.get("NAVIGATOR_LOG_FORMAT") or "").strip().lower() == "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setLevel(chosen or logging.CRITICAL + 1)
    for name in ("core", "navigator", "frontend"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
            logger.removeHandler(old)
        logger.addHandler(handler)  # records still propagate: a test's log capture sees them too
        if chosen is not None:
            logger.setLevel(chosen)
    if wanted and wanted != chosen:
        logging.getLogger("core").warning(
            "NAVIGATOR_LOG_LEVEL=%s: not one of %s; logging at WARNING", wanted, ", ".join(LEVELS)
        )
