"""Process-wide logging: one JSON (or console) line per record, masked, with the call's context.

Masking happens twice. :class:`MaskingFilter` rewrites each record's message and extra fields before
any formatter sees them (ID numbers, mobile numbers and bank card numbers by shape; any value of a
field named like an account by name), and every formatted line passes through
``doudi_common.masking.scrub`` again — tracebacks included — so personal data never reaches a log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from doudi_runtime.grpc.context import current_principal, current_request_id
from doudi_runtime.settings import ServiceSettings

_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "service",
    "request_id",
    "principal",
}

# Used only while doudi_common.masking is unavailable: an 18-character resident ID number
# (GB 11643) and an 11-digit mainland mobile number, each outside a longer run of digits/letters.
_FALLBACK_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_FALLBACK_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def _fallback_scrub(text: str) -> str:
    text = _FALLBACK_ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return _FALLBACK_PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def resolve_scrub() -> Callable[[str], str]:
    """The project's masking function, imported lazily so logging works before it is installed."""
    try:
        from doudi_common.masking import scrub
    except ImportError:
        return _fallback_scrub
    return scrub


#: Extra fields whose values are bank accounts whatever their shape (a test account fails the Luhn check).
_ACCOUNT_FIELD = re.compile(r"(account|card|bank_no|acct)", re.IGNORECASE)


def _mask_account(value: str) -> str:
    try:
        from doudi_common.masking import mask_bank_account
    except ImportError:
        return "*" * len(value)
    return mask_bank_account(value)


class MaskingFilter(logging.Filter):
    """Masks personal data in a record's message and extra fields, for every handler after it."""

    def __init__(self, scrub: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._scrub = scrub or resolve_scrub()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args or isinstance(record.msg, str):
            record.msg = self._scrub(record.getMessage())
            record.args = None
        for key, value in _extras(record).items():
            if isinstance(value, str):
                masked = _mask_account(value) if _ACCOUNT_FIELD.search(key) and value else self._scrub(value)
                setattr(record, key, masked)
            elif isinstance(value, list | tuple | dict):
                setattr(record, key, self._scrub(json.dumps(value, default=str, ensure_ascii=False)))
        return True


class ContextFilter(logging.Filter):
    """Stamps each record with the service and the current call's request id and principal."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "service"):
            record.service = self._service
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "principal"):
            record.principal = current_principal()
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES}


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, masked as a whole."""

    def __init__(self, scrub: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._scrub = scrub or resolve_scrub()

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", None),
            "request_id": getattr(record, "request_id", None),
            "principal": getattr(record, "principal", None),
        }
        payload.update(_extras(record))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return self._scrub(json.dumps(payload, default=str, ensure_ascii=False))


class ConsoleFormatter(logging.Formatter):
    """A human line for local runs; masked like the JSON one."""

    def __init__(self, scrub: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._scrub = scrub or resolve_scrub()

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(
            str(getattr(record, key, None) or "-") for key in ("service", "request_id", "principal")
        )
        extras = " ".join(f"{key}={value}" for key, value in _extras(record).items())
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name} [{context}] {record.getMessage()}"
        if extras:
            line = f"{line} {extras}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return self._scrub(line)


def configure_logging(settings: ServiceSettings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Install the doudi handler on the root logger (replacing one installed before) and return it."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_doudi", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler._doudi = True  # type: ignore[attr-defined]
    scrub = resolve_scrub()
    handler.setFormatter(JsonFormatter(scrub) if settings.log_format == "json" else ConsoleFormatter(scrub))
    handler.addFilter(MaskingFilter(scrub))
    handler.addFilter(ContextFilter(settings.service_name))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    return handler
