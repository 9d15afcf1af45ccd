"""FHIR Patient validation: what is accepted, what is refused and why. No I/O."""

from __future__ import annotations

from datetime import date

import pytest
from patients.errors import Invalid
from patients.fhir import PatientUpdate, content_of, date_bounds, in_fhir_order, parse_patient

TODAY = date(2026, 1, 15)
PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"use": "official", "system": "urn:mrn", "value": "MRN-1"}],
    "active": True,
    "name": [{"use": "official", "family": "Lovelace", "given": ["Ada", "Augusta"]}],
    "telecom": [{"system": "phone", "value": "+44 20 7946 0000", "use": "home", "rank": 1}],
    "gender": "female",
    "birthDate": "1815-12-10",
    "address": [
        {"use": "home", "line": ["12 St James's Square"], "city": "London", "postalCode": "SW1Y"}
    ],
}


def refused(body: object) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_patient(body, TODAY)
    return caught.value


def expressions(error: Invalid) -> list[str]:
    return [e for issue in error.issues for e in issue.expression]


def test_a_complete_patient_is_accepted_and_stored_as_sent():
    patient = parse_patient(PATIENT, TODAY)
    assert content_of(patient) == PATIENT


def test_partial_birth_dates_are_fhir_dates():
    assert parse_patient({**PATIENT, "birthDate": "1815"}, TODAY).birthDate == "1815"
    assert parse_patient({**PATIENT, "birthDate": "1815-12"}, TODAY).birthDate == "1815-12"
    assert date_bounds("1815-12") == (date(1815, 12, 1), date(1815, 12, 31))
    assert date_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert date_bounds("1815") == (date(1815, 1, 1), date(1815, 12, 31))


@pytest.mark.parametrize(
    "birth_date", ["1815-02-30", "1815-13-01", "15-12-1815", "1815/12/10", "1815-1-1", "", "0000"]
)
def test_dates_that_are_not_fhir_dates_or_not_on_the_calendar_are_refused(birth_date):
    error = refused({**PATIENT, "birthDate": birth_date})
    assert expressions(error) == ["Patient.birthDate"]


def test_a_birth_date_in_the_future_is_refused():
    error = refused({**PATIENT, "birthDate": "2026-01-16"})
    assert error.issues[0].diagnostics == "birthDate is in the future"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"gender": "F"}, "Patient.gender"),
        ({"name": [{"use": "legal", "family": "X"}]}, "Patient.name[0].use"),
        ({"telecom": [{"system": "pigeon", "value": "x"}]}, "Patient.telecom[0].system"),
        ({"address": [{"type": "virtual"}]}, "Patient.address[0].type"),
        ({"identifier": [{"use": "primary", "value": "1"}]}, "Patient.identifier[0].use"),
    ],
)
def test_codes_outside_their_value_sets_are_refused(change, where):
    assert expressions(refused({**PATIENT, **change})) == [where]


AS_READ = {
    **PATIENT,
    "id": "8f14e45f-ceea-467f-a0e6-0b6a3f3c9a11",
    "meta": {"versionId": "3", "lastUpdated": "2026-01-02T03:04:05.678Z"},
    "managingOrganization": {"reference": "Organization/org-a"},
}


def test_a_patient_as_read_is_accepted_and_its_server_elements_are_not_content():
    """FHIR R4 http.html#update: a client PUTs what it read; the server ignores meta's
    versionId and lastUpdated, and id and managingOrganization are not stored as sent."""
    patient = parse_patient(AS_READ, TODAY, PatientUpdate)
    assert (patient.id, patient.meta.versionId) == (AS_READ["id"], "3")
    assert patient.managingOrganization.reference == "Organization/org-a"
    assert content_of(patient) == PATIENT
    assert content_of(parse_patient(AS_READ, TODAY)) == PATIENT  # create: the same


def test_an_update_must_carry_its_id():
    """FHIR R4 http.html#update: "If no id element is provided ... 400"."""
    body = {k: v for k, v in AS_READ.items() if k != "id"}
    error = refused_as(body, PatientUpdate)
    assert [(i.code, i.expression) for i in error.issues] == [("required", ("Patient.id",))]
    assert parse_patient(body, TODAY).id is None  # a create needs none


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": "a b"}, "Patient.id"),  # not a FHIR id (datatypes.html#id)
        ({"id": 7}, "Patient.id"),
        ({"meta": {"versionId": "3", "profile": ["http://x"]}}, "Patient.meta.profile"),
        ({"meta": {"lastUpdated": "yesterday"}}, "Patient.meta.lastUpdated"),
        ({"meta": {}}, "Patient.meta"),
        (
            {"managingOrganization": {"reference": "Practitioner/1"}},
            "Patient.managingOrganization.reference",
        ),
        ({"managingOrganization": {"display": "A"}}, "Patient.managingOrganization.display"),
    ],
)
def test_server_elements_that_are_not_as_read_are_refused(change, where):
    assert where in expressions(refused({**AS_READ, **change}))


def refused_as(body: object, model: type) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_patient(body, TODAY, model)
    return caught.value


def test_unknown_and_misspelled_elements_are_refused_everywhere():
    error = refused(
        {
            **PATIENT,
            "contact": [{"name": {"family": "X"}}],
            "name": [{"family": "X", "givn": ["Y"]}],
            "_birthDate": {"extension": []},
        }
    )
    assert sorted(expressions(error)) == [
        "Patient._birthDate",
        "Patient.contact",
        "Patient.name[0].givn",
    ]
    assert {issue.code for issue in error.issues} == {"structure"}


@pytest.mark.parametrize(
    "body",
    [
        [],
        "Patient",
        {"resourceType": "Observation"},
        {"name": [{"family": "X"}]},  # no resourceType
        {**PATIENT, "active": "true"},  # no coercion
        {**PATIENT, "active": None},  # FHIR JSON has no nulls
        {**PATIENT, "name": []},  # ... nor empty arrays
        {**PATIENT, "name": [{}]},  # ... nor empty objects
        {**PATIENT, "name": [{"family": "  "}]},  # strings need content
        {**PATIENT, "name": [{"family": "A\x00B"}]},
        {**PATIENT, "name": [{"family": "x" * 201}]},
        {**PATIENT, "telecom": [{"value": "+1 555"}]},  # a value needs its system
        {**PATIENT, "telecom": [{"system": "phone", "value": "1", "rank": True}]},
        {**PATIENT, "telecom": [{"system": "phone", "value": "1", "rank": 0}]},
        {**PATIENT, "identifier": [{"system": "urn:a", "value": "1"}] * 2},
        {**PATIENT, "name": [{"family": "X", "period": {"start": "2020", "end": "2019-12-31"}}]},
        {**PATIENT, "name": [{"family": "X", "period": {"start": "2020-01-01T10:00"}}]},
    ],
)
def test_malformed_patients_are_refused(body):
    refused(body)


def test_every_problem_is_reported_at_once():
    error = refused({**PATIENT, "gender": "F", "birthDate": "1815-02-30", "foo": 1})
    assert sorted(expressions(error)) == ["Patient.birthDate", "Patient.foo", "Patient.gender"]


def test_elements_come_back_in_fhir_order():
    stored = {"name": [{"given": ["A"], "family": "B"}], "birthDate": "1815", "gender": "female"}
    assert list(in_fhir_order(stored)) == ["name", "gender", "birthDate"]
    assert list(in_fhir_order(stored)["name"][0]) == ["family", "given"]
