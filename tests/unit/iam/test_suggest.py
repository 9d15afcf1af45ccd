"""The smallest policy that allows what was seen: a SAM template where one fits."""

from __future__ import annotations

from serverlite.iam.suggest import policies_block, suggest

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"


def entries(*calls: tuple[str, str]) -> list[dict[str, object]]:
    return [dict(s.entry) for s in suggest(calls, region=REGION, account=ACCOUNT)]


def test_reads_get_the_read_template_and_writes_the_crud_one() -> None:
    assert entries(("dynamodb:GetItem", TABLE)) == [{"DynamoDBReadPolicy": {"TableName": "Orders"}}]
    assert entries(("dynamodb:GetItem", TABLE), ("dynamodb:PutItem", TABLE)) == [
        {"DynamoDBCrudPolicy": {"TableName": "Orders"}}
    ]
    assert entries(("dynamodb:Query", f"{TABLE}/index/byDate")) == [
        {"DynamoDBReadPolicy": {"TableName": "Orders"}}
    ]


def test_other_services_templates() -> None:
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf"
    assert entries(("sqs:SendMessage", queue)) == [{"SQSSendMessagePolicy": {"QueueName": "jobs"}}]
    assert entries(("secretsmanager:GetSecretValue", secret)) == [
        {"AWSSecretsManagerGetSecretValuePolicy": {"SecretArn": secret}}
    ]
    assert entries(("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/key")) == [
        {"SSMParameterReadPolicy": {"ParameterName": "app/key"}}
    ]
    assert entries(("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/audit")) == [
        {"EventBridgePutEventsPolicy": {"EventBusName": "audit"}}
    ]


def test_no_template_fits_so_a_statement_with_exactly_those_actions() -> None:
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:keys-AbCdEf"
    assert entries(("secretsmanager:PutSecretValue", secret)) == [
        {
            "Statement": [
                {"Effect": "Allow", "Action": ["secretsmanager:PutSecretValue"], "Resource": secret}
            ]
        }
    ]


def test_the_block_uses_the_templates_own_names() -> None:
    found = suggest([("dynamodb:GetItem", TABLE)], region=REGION, account=ACCOUNT)
    assert policies_block(found, {"Orders": "!Ref OrdersTable"}) == (
        "Policies:\n  - DynamoDBReadPolicy: {TableName: !Ref OrdersTable}"
    )
