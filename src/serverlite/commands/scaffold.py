"""``serverlite init [DIR]``: a small SAM Python app with tests, ready for ``sam deploy``.

The app is plain SAM: an HTTP API over one function and one DynamoDB table. The
handler imports only the standard library and boto3 (which Lambda's Python runtime
provides), so it deploys to AWS unchanged; its tests use serverlite's pytest plugin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from serverlite.errors import ConfigError

# Lambda's Python runtimes; the app takes the one of the interpreter at hand when it is one.
LAMBDA_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.12"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: Notes, a small SAM app (made by `serverlite init`).

Globals:
  Function:
    Runtime: python{python}
    MemorySize: 256
    Timeout: 10

Resources:
  NotesTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH

  NotesFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/notes/
      Handler: app.handler
      Environment:
        Variables:
          NOTES_TABLE: !Ref NotesTable
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref NotesTable
      Events:
        PutNote:
          Type: HttpApi
          Properties:
            Path: /notes/{{id}}
            Method: put
        GetNote:
          Type: HttpApi
          Properties:
            Path: /notes/{{id}}
            Method: get

Outputs:
  NotesApi:
    Description: The API's URL
    Value: !Sub "https://${{ServerlessHttpApi}}.execute-api.${{AWS::Region}}.amazonaws.com"
"""

HANDLER = '''\
"""Notes: PUT /notes/{id} stores {"text": ...}; GET /notes/{id} reads it back."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])


def handler(event, context):
    note_id = event["pathParameters"]["id"]
    if event["requestContext"]["http"]["method"] == "PUT":
        try:
            text = json.loads(event.get("body") or "{}").get("text")
        except (ValueError, AttributeError):
            text = None
        if not isinstance(text, str) or not text:
            return _json(400, {"message": "a note needs a non-empty text"})
        table.put_item(Item={"id": note_id, "text": text})
        return _json(201, {"id": note_id, "text": text})
    item = table.get_item(Key={"id": note_id}).get("Item")
    if item is None:
        return _json(404, {"message": f"no note {note_id}"})
    return _json(200, item)


def _json(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
'''

REQUIREMENTS = """\
# The function's own dependencies, as `sam build` installs them (boto3 comes with
# Lambda's Python runtime).
"""

TESTS = '''\
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
'''

PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "--strict-markers --strict-config"
filterwarnings = ["error"]
serverlite_iam = "enforce"  # a call the function's Policies do not allow fails, as on AWS
"""

README = """\
# notes

A small AWS SAM app: an HTTP API (`PUT /notes/{id}`, `GET /notes/{id}`) over one
function and one DynamoDB table.

    serverlite up          # run it locally (API on :3000, AWS endpoint on :4566)
    python -m pytest       # its tests, through serverlite's pytest plugin
    sam deploy --guided    # the same template on AWS
"""

GITIGNORE = """\
.serverlite/
.aws-sam/
__pycache__/
"""


def files(python: str) -> dict[str, str]:
    """The app's files: path (relative to its directory) -> text."""
    return {
        "template.yaml": TEMPLATE.format(python=python),
        "src/notes/app.py": HANDLER,
        "src/notes/requirements.txt": REQUIREMENTS,
        "tests/test_notes.py": TESTS,
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        ".gitignore": GITIGNORE,
    }


def lambda_python() -> str:
    """The running interpreter's version when Lambda has that runtime, else the default."""
    major, minor = sys.version_info[:2]
    version = f"{major}.{minor}"
    return version if version in LAMBDA_PYTHONS else DEFAULT_PYTHON


def scaffold(directory: Path, python: str | None = None) -> list[Path]:
    """Write the app into ``directory`` (made if missing); never overwrites a file."""
    wanted = files(python or lambda_python())
    clashes = sorted(name for name in wanted if (directory / name).exists())
    if clashes:
        raise ConfigError(
            f"{directory} already has {', '.join(clashes)}: serverlite init writes a new "
            "app and overwrites nothing; choose an empty directory"
        )
    written = []
    for name, text in wanted.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
