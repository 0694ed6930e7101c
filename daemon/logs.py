"""Log set-up: levelled lines on stderr, or one JSON object per line for journald and log shippers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

LOG_FORMATS = ("text", "json")
HANDLER_NAME = "newsd-stderr"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the traceback, when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(verbose: int, quiet: bool, fmt: str = "text") -> None:
    """Logs on stderr: warnings by default, -v info, -vv debug, -q errors only."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in root.handlers[:]:
        if old.get_name() == HANDLER_NAME:  # ours, from an earlier call; others (a test's capture) stay
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if verbose < 2:
        # trafilatura logs every page it finds no article in as an ERROR; newsd
        # reports that itself (page_error, "no article text found").
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        # APScheduler logs every job run at INFO; newsd logs what the jobs did.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
