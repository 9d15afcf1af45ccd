"""Versions and ETags, ids, and the search columns of a record. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from patients.domain import (
    USER_LINK_SYSTEM,
    StoredPatient,
    check_id,
    check_version,
    etag,
    expected_version,
    normalize,
    search_fields,
)
from patients.errors import Invalid, PreconditionFailed, PreconditionRequired
from patients.fhir import parse_patient

PID = "8f14e45f-ceea-467f-a0e6-0b6a3f3c9a11"


def test_etags_are_weak_and_name_the_version():
    assert etag(3) == 'W/"3"'
    assert expected_version('W/"3"') == 3
    assert expected_version('"3"') == 3  # a strong spelling of the same version
    assert expected_version(None, required=False) is None


@pytest.mark.parametrize("header", [None, "", "  "])
def test_a_missing_if_match_is_428(header):
    with pytest.raises(PreconditionRequired):
        expected_version(header)


@pytest.mark.parametrize(
    "header", ["*", "3", 'W/"x"', 'W/"1", W/"2"', 'W/"99999999999"', 'W/"\u0661"', ""]
)
def test_an_if_match_that_names_no_single_version_is_428(header):
    with pytest.raises(PreconditionRequired):
        expected_version(header)
    with pytest.raises(PreconditionRequired):  # also where it is optional: never ignored
        expected_version(header, required=False)


def test_if_match_may_have_the_whitespace_http_allows_around_it():
    assert expected_version(' \tW/"4" ', required=False) == 4


def test_a_stale_version_is_412():
    check_version(2, 2)
    check_version(2, None)
    with pytest.raises(PreconditionFailed):
        check_version(3, 2)


@pytest.mark.parametrize(
    "value",
    [None, "", "1", "8F14E45F-CEEA-467F-A0E6-0B6A3F3C9A11", "' OR 1=1 --", PID + "x", PID + "\n"],
)
def test_patient_ids_are_lowercase_uuids(value):
    with pytest.raises(Invalid):
        check_id(value)
    assert check_id(PID) == PID


def test_search_columns_are_normalized_and_the_user_link_is_found():
    patient = parse_patient(
        {
            "resourceType": "Patient",
            "name": [{"family": "Gödel", "given": ["Kurt", "Friedrich"]}],
            "identifier": [
                {"system": "urn:mrn", "value": "M-1"},
                {"system": USER_LINK_SYSTEM, "value": "user-42"},
                {"value": "loose"},
            ],
            "birthDate": "1906-04",
            "gender": "male",
        },
        date(2026, 1, 1),
    )
    fields = search_fields(patient)
    assert fields.family == ("godel",)
    assert fields.given == ("friedrich", "kurt")
    assert (fields.birth_low, fields.birth_high) == (date(1906, 4, 1), date(1906, 4, 30))
    assert fields.identifiers == (("urn:mrn", "M-1"), (USER_LINK_SYSTEM, "user-42"), ("", "loose"))
    assert fields.user_id == "user-42"
    assert normalize(" ÉLodie ") == "elodie"


def test_a_record_links_to_one_user_at_most():
    body = {
        "resourceType": "Patient",
        "identifier": [
            {"system": USER_LINK_SYSTEM, "value": "a"},
            {"system": USER_LINK_SYSTEM, "value": "b"},
        ],
    }
    with pytest.raises(Invalid):
        search_fields(parse_patient(body, date(2026, 1, 1)))


def test_a_user_link_must_be_a_user_id():
    body = {
        "resourceType": "Patient",
        "identifier": [{"system": USER_LINK_SYSTEM, "value": "pat-1\n"}],  # was a 500
    }
    with pytest.raises(Invalid):
        search_fields(parse_patient(body, date(2026, 1, 1)))


def test_the_served_resource_has_server_owned_elements():
    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    record = StoredPatient(
        PID, "org-a", None, 4, {"resourceType": "Patient", "gender": "other"}, at, at
    )
    assert record.resource() == {
        "resourceType": "Patient",
        "id": PID,
        "meta": {"versionId": "4", "lastUpdated": "2026-01-02T03:04:05.678Z"},
        "gender": "other",
        "managingOrganization": {"reference": "Organization/org-a"},
    }
    assert record.etag == 'W/"4"'
