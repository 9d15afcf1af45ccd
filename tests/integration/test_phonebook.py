"""The phonebook service end to end: HTTP -> gateway -> functions -> DynamoDB."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Server, aws_client, lambda_client, start_server

pytestmark = pytest.mark.integration
SERVICE = Path(__file__).resolve().parents[2] / "services" / "phonebook"


@pytest.fixture(scope="module")
def phonebook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    server = start_server(
        SERVICE / "template.yaml",
        tmp_path_factory.mktemp("phonebook") / "state",
        "--port",
        "0",
        "--iam",
        "enforce",
    )
    yield server, f"{server.api_base()}/Prod"
    server.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def test_create_read_update_delete(phonebook, http):
    _, url = phonebook
    created = http.post(
        f"{url}/phonebook", json={"name": "Ada Lovelace", "phones": ["+441632960961"]}
    )
    assert created.status_code == 201
    contact = created.json()
    assert created.headers["location"] == f"/phonebook/{contact['id']}"
    assert http.get(f"{url}/phonebook/{contact['id']}").json() == contact
    updated = http.put(
        f"{url}/phonebook/{contact['id']}", json={"name": "Ada King", "phones": ["+441632960962"]}
    )
    assert updated.status_code == 200
    assert http.get(f"{url}/phonebook/{contact['id']}").json()["name"] == "Ada King"
    assert http.delete(f"{url}/phonebook/{contact['id']}").status_code == 204
    assert http.get(f"{url}/phonebook/{contact['id']}").status_code == 404
    assert http.delete(f"{url}/phonebook/{contact['id']}").status_code == 404


def test_put_creates_when_the_id_is_new(phonebook, http):
    _, url = phonebook
    response = http.put(f"{url}/phonebook/custom-id-1", json={"name": "Grace Hopper"})
    assert response.status_code == 201
    assert response.json() == {"id": "custom-id-1", "name": "Grace Hopper", "phones": []}


def test_list_is_paginated(phonebook, http):
    _, url = phonebook
    ids = {
        http.post(f"{url}/phonebook", json={"name": f"Person {i}"}).json()["id"] for i in range(7)
    }
    seen: set[str] = set()
    token = None
    pages = 0
    while True:
        params = {"limit": "3", **({"next": token} if token else {})}
        page = http.get(f"{url}/phonebook", params=params).json()
        assert len(page["contacts"]) <= 3
        seen |= {c["id"] for c in page["contacts"]}
        pages += 1
        token = page["next"]
        if not token:
            break
    assert ids <= seen
    assert pages >= 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"phones": ["+14155552671"]}, "name is required"),
        ({"name": "A", "phones": ["555-1234"]}, "E.164"),
        ({"name": "A", "extra": 1}, "unknown fields"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(phonebook, http, body, message):
    server, url = phonebook
    before = _count(server)
    response = http.post(f"{url}/phonebook", json=body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert _count(server) == before


def test_bad_content_type_and_json(phonebook, http):
    _, url = phonebook
    assert (
        http.post(
            f"{url}/phonebook", content=b"{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    wrong = http.post(
        f"{url}/phonebook",
        content=b"name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 400
    assert "Content-Type" in wrong.json()["message"]
    assert http.get(f"{url}/phonebook", params={"limit": "0"}).status_code == 400
    assert http.get(f"{url}/phonebook", params={"next": "@@"}).status_code == 400


def test_sample_events_work_with_invoke(phonebook):
    server, _ = phonebook
    client = lambda_client(server)
    for name, function, status in (
        ("create.json", "CreateNewContact", 201),
        ("put.json", "CreateOrUpdateContactById", None),
        ("get.json", "GetContactById", 200),
        ("list.json", "GetAllContacts", 200),
        ("create-invalid.json", "CreateNewContact", 400),
        ("delete.json", "DeleteContactById", 204),
    ):
        payload = (SERVICE / "events" / name).read_bytes()
        result = json.loads(client.invoke(FunctionName=function, Payload=payload)["Payload"].read())
        if status is not None:
            assert result["statusCode"] == status, (name, result)


def test_contacts_survive_kill_9(tmp_path, http):
    state = tmp_path / "state"
    server = start_server(SERVICE / "template.yaml", state, "--port", "0")
    contact = http.post(f"{server.api_base()}/Prod/phonebook", json={"name": "Durable"}).json()
    server.stop(signal.SIGKILL)
    again = start_server(SERVICE / "template.yaml", state, "--port", "0")
    try:
        url = f"{again.api_base()}/Prod"
        assert http.get(f"{url}/phonebook/{contact['id']}").json() == contact
    finally:
        again.stop()


def _count(server: Server) -> int:
    ddb = aws_client(server, "dynamodb")
    table = ddb.list_tables()["TableNames"][0]
    return int(ddb.scan(TableName=table, Select="COUNT")["Count"])


def test_every_change_lands_in_the_history_in_order(phonebook, http):
    server, url = phonebook
    from tests.integration.conftest import wait_for

    created = http.post(f"{url}/phonebook", json={"name": "Alan Turing"}).json()
    http.put(f"{url}/phonebook/{created['id']}", json={"name": "Alan M. Turing"})
    http.delete(f"{url}/phonebook/{created['id']}")
    ddb = aws_client(server, "dynamodb")
    table = next(t for t in ddb.list_tables()["TableNames"] if "HistoryTable" in t)

    def history() -> list[dict]:
        return ddb.query(
            TableName=table,
            KeyConditionExpression="contactId = :c",
            ExpressionAttributeValues={":c": {"S": created["id"]}},
        )["Items"]

    items = wait_for(lambda: len(history()) >= 3 and history(), 30)
    assert [i["change"]["S"] for i in items] == ["INSERT", "MODIFY", "REMOVE"]
    assert items[1]["before"]["M"]["name"] == {"S": "Alan Turing"}
    assert items[1]["after"]["M"]["name"] == {"S": "Alan M. Turing"}
    assert "after" not in items[2]
