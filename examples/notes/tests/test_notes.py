"""The notes API, run locally by serverlite's pytest plugin (no Docker, no AWS)."""

from botocore.config import Config


def test_a_note_round_trips(serverlite_client):
    created = serverlite_client.put("/notes/first", json={"text": "hello"})
    assert created.status_code == 201
    assert serverlite_client.get("/notes/first").json() == {"id": "first", "text": "hello"}


def test_a_note_without_text_is_refused(serverlite_client):
    assert serverlite_client.put("/notes/empty", json={}).status_code == 400
    assert serverlite_client.get("/notes/empty").status_code == 404


def test_the_table_holds_what_the_api_stored(serverlite_client, serverlite_aws):
    serverlite_client.put("/notes/stored", json={"text": "in the table"})
    dynamodb = serverlite_aws("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": "stored"}})["Item"]
    assert item["text"] == {"S": "in the table"}


def test_when_the_function_fails_the_api_answers_500(serverlite, serverlite_client):
    serverlite.fail("NotesFunction")  # the next invocation fails, as a crash would
    assert serverlite_client.get("/notes/first").status_code == 500
    assert serverlite_client.get("/notes/missing").status_code == 404


def test_a_throttled_function_is_seen_by_its_callers(serverlite, serverlite_aws):
    lam = serverlite_aws("lambda", config=Config(retries={"total_max_attempts": 1}))
    serverlite.throttle("NotesFunction")
    try:
        lam.invoke(FunctionName="NotesFunction", Payload=b"{}")
    except lam.exceptions.TooManyRequestsException:
        pass
    else:
        raise AssertionError("the invocation was not throttled")


def test_a_throttled_table_is_retried_by_the_functions_sdk(serverlite, serverlite_client):
    serverlite_client.put("/notes/busy", json={"text": "hi"})
    # DynamoDB answers the next two GetItems as a throttled table does; boto3 retries.
    fault = serverlite.faults.service(
        "dynamodb", "GetItem", error="ProvisionedThroughputExceededException", times=2
    )
    assert serverlite_client.get("/notes/busy").status_code == 200
    assert fault.hits == 2
