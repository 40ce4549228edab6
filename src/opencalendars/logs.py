"""Logging for every process: `serve` (uvicorn's own loggers included), `worker` and the CLI.

One handler, on stderr, and one format for every logger: human-readable lines by default, one
JSON object per line with `OPENCALENDARS_LOG_FORMAT=json` (docs/operations.md, "Logs"). This is
the standard library's `logging` with a small JSON formatter (orjson, already a dependency), not
structlog: uvicorn, SQLAlchemy, alembic and httpx all log through `logging`, so one
`dictConfig` puts every line in the same format with no bridge and no new dependency.

Structured values travel in a record's `fields` (`log.info(..., extra={"fields": {...}})`): the
JSON formatter writes them as fields of the line, the text formatter only the message, which says
the same in words. No line carries a secret: requests are logged by method, path template,
status, duration and traceId (never headers or query strings), and anything that may hold a URL
goes through `redact` first.
"""

import logging
import logging.config
import re
import time

import orjson

from opencalendars.http.trace import TRACE_ID

LEVELS = ("critical", "error", "warning", "info", "debug")
FORMATS = ("text", "json")
# httpx writes every request's full URL at INFO ("HTTP Request: POST https://..."): a webhook or
# SMS endpoint URL may carry a secret in its query. alembic's INFO lines repeat at every start.
QUIET_LOGGERS = ("httpx", "httpcore", "alembic")

# `scheme://user:password@` -> `scheme://user:***@`, and a URL's query string -> `?***`.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):[^@\s/]*@")
_URL_QUERY = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#]*)\?[^\s#'\"]*")


def redact(text: str) -> str:
    """`text` with the password of every URL in it, and every URL's query string, masked: for
    database, SMTP and webhook URLs, and for error messages that might quote one."""
    text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    return _URL_QUERY.sub(r"\g<head>?***", text)


def utc_time(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """`2026-03-02T14:00:00.123Z INFO opencalendars.access: <message>`, tracebacks below."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time`, `level`, `logger`, `message`, the record's `fields`,
    the `traceId` of the request the line was written in, and `exception` (the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": utc_time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if "traceId" not in entry:
            trace_id = TRACE_ID.get()
            if trace_id is not None:
                entry["traceId"] = trace_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def config(level: str = "info", log_format: str = "text") -> dict:
    """A `logging.config.dictConfig` configuration: one stderr handler on the root logger in
    `log_format`, every logger (uvicorn's, the server's, libraries') writing through it at
    `level`, except QUIET_LOGGERS (warnings and errors only). Also uvicorn's `log_config`."""
    if level.lower() not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    level = level.upper()
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    own = {"level": level, "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            **{name: dict(own) for name in ("uvicorn", "uvicorn.error", "opencalendars")},
            # uvicorn's own access lines stay off (access_log=False): ours carry the traceId.
            "uvicorn.access": {"level": level, "handlers": [], "propagate": False},
            **{name: {"level": "WARNING", "handlers": []} for name in QUIET_LOGGERS},
        },
        "root": {"level": level, "handlers": ["default"]},
    }


def configure(level: str = "info", log_format: str = "text") -> None:
    logging.config.dictConfig(config(level, log_format))
