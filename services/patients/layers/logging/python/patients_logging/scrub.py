"""Removing PHI from log records, before they are written.

Two nets, because one is not enough:

1. By key, anywhere in the record: a value under a key that names patient data
   (names, birth dates, identifiers, telecom, addresses) or carries it wholesale
   (a request body, a query string, a FHIR resource) becomes ``[REDACTED]``.
2. By shape, in every other string: e-mail addresses, dates, phone-like digit runs;
   and in exception texts also quoted literals and ``input_value=...`` (pydantic and
   PostgreSQL quote the offending input in their messages: ``Key (value)=(123)``).

Keys known to hold only safe values (ids, levels, timings) are left alone. Free text
cannot be checked for names, so messages are constants and data goes in fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

PHI_KEYS = frozenset(
    {
        "name", "names", "family", "given", "prefix", "suffix", "text", "patient",
        "birthdate", "dob", "dateofbirth", "identifier", "identifiers", "mrn", "ssn",
        "telecom", "phone", "email", "address", "addresses", "line", "city", "district",
        "state", "postalcode", "zip", "country", "resource", "content", "body", "query",
        "querystringparameters", "multivaluequerystringparameters", "rawquerystring",
        "authorization", "cookies", "headers", "value",
    }
)  # fmt: skip
SAFE_KEYS = frozenset(
    {
        "level", "location", "timestamp", "service", "sampling_rate", "cold_start",
        "function_name", "function_memory_size", "function_arn", "function_request_id",
        "correlation_id", "xray_trace_id", "patient_id", "request_id", "audit_id",
        "operation", "action", "outcome", "status", "actor", "duration_ms", "count",
        "exception_name",
    }
)  # fmt: skip

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DATE = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d ().-]{5,}\d(?![\w-])")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
_INPUT = re.compile(r"input_value=.*?(?=, input_type=|\]|$)")
_DETAIL = re.compile(r"=\([^\n]*?\)(?= |$|\n)")
_TRACE_LINE = re.compile(r'^  File "[^"\n]*", line \d+, in [\w<>.]+$')


def _normal(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def scrub_text(text: str) -> str:
    """Shapes of PHI in free text: e-mail addresses, dates, phone numbers."""
    text = _EMAIL.sub(REDACTED, text)
    text = _DATE.sub(REDACTED, text)
    return _PHONE.sub(REDACTED, text)


def scrub_exception(text: str) -> str:
    """A traceback: frame lines kept, everything else (messages, code) scrubbed hard."""
    out = []
    for line in text.splitlines():
        if _TRACE_LINE.match(line) or line == "Traceback (most recent call last):":
            out.append(line)
            continue
        cleaned = _INPUT.sub("input_value=" + REDACTED, line)
        cleaned = _DETAIL.sub("=(" + REDACTED + ")", cleaned)
        cleaned = _QUOTED.sub(REDACTED, cleaned)
        out.append(scrub_text(cleaned))
    return "\n".join(out)


def scrub(value: Any, key: str = "") -> Any:
    """A log record (or any part of one) with PHI removed."""
    norm = _normal(key)
    if key in SAFE_KEYS:
        return value
    if norm in PHI_KEYS and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v, key) for v in value]
    if isinstance(value, BaseException):
        return scrub_exception(f"{type(value).__name__}: {value}")
    if isinstance(value, str):
        if norm in ("exception", "stacktrace", "error", "exceptionnotes"):
            return scrub_exception(value)
        return scrub_text(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return scrub_text(str(value))
