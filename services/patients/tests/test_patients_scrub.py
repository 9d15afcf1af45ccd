"""The PHI scrubber and the Logger built on it: no PHI reaches a log line. No I/O."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from patients.fhir import Patient, parse_patient
from patients_logging.logger import get_logger
from patients_logging.scrub import REDACTED, scrub, scrub_exception, scrub_text
from pydantic import ValidationError

PHI = ["Lovelace", "Ada", "1815-12-10", "MRN-77", "+44 20 7946 0000", "ada@example.org", "SW1Y"]
PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": "urn:mrn", "value": "MRN-77"}],
    "name": [{"family": "Lovelace", "given": ["Ada"]}],
    "telecom": [
        {"system": "phone", "value": "+44 20 7946 0000"},
        {"system": "email", "value": "ada@example.org"},
    ],
    "birthDate": "1815-12-10",
    "address": [{"line": ["12 St James's Square"], "postalCode": "SW1Y"}],
}


def assert_clean(text: str) -> None:
    for value in PHI:
        assert value not in text, f"{value!r} leaked into {text!r}"


def test_values_under_phi_keys_are_redacted_at_any_depth():
    record = {"message": "x", "extra": {"patient": PATIENT, "items": [{"name": "Ada"}]}}
    cleaned = scrub(record)
    assert cleaned["extra"]["patient"] == REDACTED
    assert cleaned["extra"]["items"] == [{"name": REDACTED}]
    assert_clean(json.dumps(cleaned))


def test_request_events_are_redacted_wholesale():
    event = {
        "body": json.dumps(PATIENT),
        "queryStringParameters": {"family": "Lovelace"},
        "rawQueryString": "birthdate=1815-12-10",
        "headers": {"authorization": "Bearer secret"},
    }
    assert_clean(json.dumps(scrub({"event": event})))
    assert "secret" not in json.dumps(scrub({"event": event}))


def test_shapes_of_phi_are_removed_from_free_text():
    text = "born 1815-12-10, call +44 20 7946 0000 or ada@example.org, seen 10/12/1815"
    cleaned = scrub_text(text)
    assert_clean(cleaned)
    assert "10/12/1815" not in cleaned


def test_ids_and_safe_fields_are_kept():
    record = {
        "level": "INFO",
        "timestamp": "2026-01-01 10:00:00,000+0000",
        "correlation_id": "8f14e45f-ceea-467f-a0e6-0b6a3f3c9a11",
        "audit_id": "0b6f5c4e-1d2a-4f3b-9c8d-7e6f5a4b3c2d",
        "status": 200,
        "message": "request handled for 8f14e45f-ceea-467f-a0e6-0b6a3f3c9a11",
    }
    assert scrub(record) == record


def test_exception_texts_lose_the_inputs_they_quote():
    try:
        Patient.model_validate({"resourceType": "Patient", "name": [{"family": 7, "x": "Ada"}]})
    except ValidationError as exc:
        pydantic_text = f'Traceback (most recent call last):\n  File "a.py", line 1, in f\n{exc}'
    database_text = (
        'psycopg.errors.UniqueViolation: duplicate key value violates unique constraint "u"\n'
        "DETAIL:  Key (organization, system, value)=(org-a, urn:mrn, MRN-77) already exists."
    )
    for text in (pydantic_text, database_text):
        cleaned = scrub_exception(text)
        assert_clean(cleaned)
        assert "Ada" not in cleaned
    assert '  File "a.py", line 1, in f' in scrub_exception(pydantic_text)


@pytest.fixture
def captured():
    stream = io.StringIO()
    logger = get_logger("patients-test")
    logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    return logger, stream


def test_the_logger_writes_json_without_phi(captured):
    logger, stream = captured
    logger.info("patient created", extra={"patient": PATIENT, "family": "Lovelace"})
    logger.info({"message": "a dict message", "email": "ada@example.org"})
    logger.info("free text 1815-12-10 ada@example.org")
    try:
        parse_patient({**PATIENT, "gender": "Ada Lovelace"}, date(2026, 1, 1))
    except Exception:
        logger.exception("failed")
    try:
        Patient.model_validate({**PATIENT, "gender": "Lovelace"})
    except ValidationError:
        logger.exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5
    for line in lines:
        json.loads(line)
        assert_clean(line)
