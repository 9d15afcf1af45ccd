"""Method-ARN wildcard matching and policy evaluation (Lambda authorizer policies)."""

from __future__ import annotations

import pytest

from serverlite.gateway.authorizers.policy import (
    PolicyError,
    evaluate,
    parse_policy,
    resource_matches,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/42"
ROOT = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/"


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        (ARN, ARN, True),
        ("*", ARN, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/*", ARN, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*", ARN, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/*/items/*", ARN, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/POST/*", ARN, False),
        ("arn:aws:execute-api:*:*:abc123/Prod/GET/items/*", ARN, True),
        ("arn:aws:execute-api:*:*:*", ARN, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/4?", ARN, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/?", ARN, False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items", ARN, False),
        ("arn:aws:execute-api:us-east-1:123456789012:other/*", ARN, False),
        ("arn:aws:execute-api:eu-west-1:123456789012:abc123/*", ARN, False),
        # '*' stays inside its ARN part: a region wildcard cannot swallow the account.
        ("arn:aws:execute-api:*:abc123/*", ARN, False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/", ROOT, True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/*", ROOT, True),
        # regex metacharacters in a pattern are literal
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/4.", ARN, False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/items/(42)", ARN, False),
    ],
)
def test_resource_wildcards(pattern: str, arn: str, expected: bool) -> None:
    assert resource_matches(pattern, arn) is expected


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(effect: str, resource: str | list[str], action: str = "execute-api:Invoke") -> dict:
    return {"Effect": effect, "Action": action, "Resource": resource}


def test_allow_matching_resource() -> None:
    assert evaluate(parse_policy(policy(stmt("Allow", ARN))), ARN) == "ALLOW"


def test_no_matching_allow_is_implicit_deny() -> None:
    other = ARN.replace("GET", "POST")
    assert evaluate(parse_policy(policy(stmt("Allow", other))), ARN) == "IMPLICIT_DENY"
    assert evaluate(parse_policy(policy()), ARN) == "IMPLICIT_DENY"


def test_explicit_deny_wins_over_allow_in_any_order() -> None:
    allow_all = stmt("Allow", "arn:aws:execute-api:*:*:abc123/*")
    deny_one = stmt("Deny", "arn:aws:execute-api:*:*:abc123/*/GET/items/*")
    assert evaluate(parse_policy(policy(allow_all, deny_one)), ARN) == "EXPLICIT_DENY"
    assert evaluate(parse_policy(policy(deny_one, allow_all)), ARN) == "EXPLICIT_DENY"
    assert evaluate(parse_policy(policy(allow_all, deny_one)), ROOT) == "ALLOW"


def test_actions_must_cover_invoke() -> None:
    wrong = stmt("Allow", ARN, action="execute-api:ManageConnections")
    assert evaluate(parse_policy(policy(wrong)), ARN) == "IMPLICIT_DENY"
    for action in ("execute-api:*", "*", "execute-api:invoke", ["s3:Get", "execute-api:Invoke"]):
        doc = policy({"Effect": "Allow", "Action": action, "Resource": ARN})
        assert evaluate(parse_policy(doc), ARN) == "ALLOW"


def test_resource_lists_and_single_statement_object() -> None:
    doc = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": ["x", ARN]}}
    assert evaluate(parse_policy(doc), ARN) == "ALLOW"


@pytest.mark.parametrize(
    "document",
    [
        None,
        "Allow",
        {"Statement": "Allow"},
        {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": []}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": [1]}]},
        {"Statement": ["Allow"]},
    ],
)
def test_malformed_policies_are_rejected(document: object) -> None:
    with pytest.raises(PolicyError):
        parse_policy(document)
