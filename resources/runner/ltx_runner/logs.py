"""Structured logging: one JSON object per line on stderr.

``setup_logging()`` installs a JSON formatter on the root logger, routes the
loggers of diffusers, transformers, huggingface_hub and uvicorn through it,
silences progress bars, and (optionally) wraps ``sys.stderr`` so that stray
text written by libraries (warnings, progress bars) still comes out as JSON
lines.  ``log(event, **fields)`` writes one structured record.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import logging
import os
import sys
import threading
from typing import Any

_LOGGER_NAME = "ltx_runner"
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}
_real_stderr = sys.__stderr__ or sys.stderr


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """Formats a LogRecord as a single JSON line: ts, level, logger, msg and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _now(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class _StreamHandler(logging.Handler):
    """Writes formatted records to the real stderr (bypassing any wrapper)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            with self._lock2:
                _real_stderr.write(line + "\n")
                _real_stderr.flush()
        except Exception:  # pragma: no cover
            self.handleError(record)


class _JsonLineStderr(io.TextIOBase):
    """A stand-in for sys.stderr turning free text into JSON log lines.

    Lines already holding a JSON object pass through unchanged; carriage
    returns (progress bars) split lines too.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buf = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        with self._lock:
            self._buf += s
            parts = self._buf.replace("\r", "\n").split("\n")
            self._buf = parts.pop()
        for part in parts:
            self._emit(part)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            rest, self._buf = self._buf, ""
        if rest:
            self._emit(rest)
        _real_stderr.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return _real_stderr.fileno()

    @staticmethod
    def _emit(text: str) -> None:
        text = text.rstrip()
        if not text.strip():
            return
        if text.startswith("{") and text.endswith("}"):
            _real_stderr.write(text + "\n")
        else:
            rec = {"ts": _now(), "level": "info", "logger": "stderr", "msg": text}
            _real_stderr.write(json.dumps(rec, ensure_ascii=False) + "\n")
        _real_stderr.flush()


_configured = False


def setup_logging(level: str = "info", wrap_stderr: bool = True) -> None:
    """Route all logging to JSON lines on stderr and silence progress bars.

    ``level`` is a logging level name.  With ``wrap_stderr`` text written
    directly to ``sys.stderr`` is wrapped into JSON lines as well.  Safe to
    call more than once.
    """
    global _configured
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

    root = logging.getLogger()
    if not _configured:
        for h in list(root.handlers):
            root.removeHandler(h)
        handler = _StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        logging.captureWarnings(True)
        _configured = True
    root.setLevel(level.upper())

    # Third-party libraries install their own stderr handlers; make them propagate to ours instead.
    for name in ("diffusers", "transformers", "huggingface_hub", "accelerate"):
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            lg.removeHandler(h)
        lg.propagate = True
        lg.setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        for h in list(lg.handlers):
            lg.removeHandler(h)
        lg.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    if "diffusers" in sys.modules or "transformers" in sys.modules:
        route_library_logging()
    if wrap_stderr and not isinstance(sys.stderr, _JsonLineStderr):
        sys.stderr = _JsonLineStderr()


_routed = False


def route_library_logging() -> None:
    """Send diffusers' and transformers' logs through the JSON handler and turn their progress bars off.

    Imports both libraries (slow the first time), so the server calls it after it is listening.
    Safe to call repeatedly; later calls are no-ops.
    """
    global _routed
    if _routed:
        return
    _routed = True
    try:  # diffusers' own switch for its default handler
        from diffusers.utils import logging as dlog

        dlog.disable_default_handler()
        dlog.enable_propagation()
        dlog.set_verbosity_warning()
        dlog.disable_progress_bar()
    except Exception:
        pass
    try:
        from transformers.utils import logging as tlog

        tlog.disable_default_handler()
        tlog.enable_propagation()
        tlog.set_verbosity_warning()
        tlog.disable_progress_bar()
    except Exception:
        pass


def get_logger() -> logging.Logger:
    """The runner's logger (``ltx_runner``)."""
    return logging.getLogger(_LOGGER_NAME)


def log(event: str, level: str = "info", **fields: Any) -> None:
    """Write one structured log record: ``msg`` is ``event``, ``fields`` become JSON keys."""
    fields.setdefault("event", event)
    fields = {(k + "_" if k in _RESERVED else k): v for k, v in fields.items()}
    get_logger().log(getattr(logging, level.upper(), logging.INFO), event, extra=fields)
