"""Custom::ServerlitePostgres: reading a secret's connection, printing URLs, which functions
reach a database. No I/O but a template written to a temporary directory."""

from __future__ import annotations

import pytest

from serverlite.aws.postgres.declarations import connection_url, names_secret, secret_ids
from serverlite.aws.postgres.service import redact
from serverlite.template import load_application


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ({"url": "postgresql://a:b@h/db"}, "postgresql://a:b@h/db"),
        ({"url": "  "}, None),
        ({"url": ""}, None),  # the template's default: run the embedded server
        (None, None),
        ("postgresql://x", None),
        (
            {"host": "db.example", "port": 6543, "username": "app", "password": "p@ss/w"},
            "postgresql://app:p%40ss%2Fw@db.example:6543/postgres",
        ),
        ({"host": "h", "dbname": "patients"}, "postgresql://postgres:@h:5432/patients"),
    ],
)
def test_connection_urls_from_secret_values(value, url):
    assert connection_url(value) == url


def test_printed_urls_hide_passwords():
    assert redact("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("postgresql://postgres:@/x?host=/tmp") == "postgresql://postgres:@/x?host=/tmp"


DATABASE_APP = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  DatabaseSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: inventory-db
      SecretString: '{"url": ""}'
  Database:
    Type: Custom::ServerlitePostgres
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:migrate
      SecretId: !Ref DatabaseSecret
  OtherSecret:
    Type: AWS::SecretsManager::Secret
  ByVariable:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src
      Environment:
        Variables:
          DATABASE_SECRET_ARN: !Ref DatabaseSecret
  ByPolicy:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src
      Policies:
        - AWSSecretsManagerGetSecretValuePolicy: {SecretArn: !Ref DatabaseSecret}
  ByRole:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src
      Role: !GetAtt DatabaseRole.Arn
  DatabaseRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      Policies:
        - PolicyName: db
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Ref DatabaseSecret
  Elsewhere:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      CodeUri: src
      Environment:
        Variables:
          OTHER_SECRET_ARN: !Ref OtherSecret
"""


def test_the_functions_given_the_database_secret_are_those_held_back(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(DATABASE_APP)
    (tmp_path / "src").mkdir()
    app = load_application(template)
    secrets = secret_ids(app)
    assert "inventory-db" in secrets
    named = {fn.logical_id for fn in app.functions if names_secret(app, fn, secrets)}
    assert named == {"ByVariable", "ByPolicy", "ByRole"}
