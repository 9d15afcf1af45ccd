"""IAM's evaluation logic: explicit deny > allow > implicit deny, wildcards, Not*."""

from __future__ import annotations

from typing import Any

import pytest

from serverlite.iam import policy
from serverlite.iam.evaluate import PolicySet, decide
from serverlite.iam.request import IamRequest

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"
OTHER = "arn:aws:dynamodb:us-east-1:123456789012:table/Invoices"


def statements(*raw: dict[str, Any]) -> tuple[policy.Statement, ...]:
    return policy.document({"Version": "2012-10-17", "Statement": list(raw)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_nothing_allows_by_default() -> None:
    decision = decide((), "dynamodb:GetItem", TABLE, {})
    assert not decision.allowed and not decision.explicit_deny


def test_an_allow_allows_and_says_which_statement() -> None:
    found = statements(allow("dynamodb:GetItem", TABLE))
    decision = decide(found, "dynamodb:GetItem", TABLE, {})
    assert decision.allowed and decision.statement is found[0]


def test_an_explicit_deny_beats_any_allow() -> None:
    found = statements(allow("dynamodb:*"), deny("dynamodb:DeleteItem", TABLE))
    decision = decide(found, "dynamodb:DeleteItem", TABLE, {})
    assert not decision.allowed and decision.explicit_deny
    assert decide(found, "dynamodb:DeleteItem", OTHER, {}).allowed


@pytest.mark.parametrize(
    ("pattern", "action", "hit"),
    [
        ("dynamodb:GetItem", "dynamodb:GetItem", True),
        ("DynamoDB:getitem", "dynamodb:GetItem", True),  # actions ignore case
        ("dynamodb:Get*", "dynamodb:GetItem", True),
        ("dynamodb:Get*", "dynamodb:PutItem", False),
        ("dynamodb:?etItem", "dynamodb:GetItem", True),
        ("*", "sqs:SendMessage", True),
        ("dynamodb:*", "sqs:SendMessage", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, hit: bool) -> None:
    assert decide(statements(allow(pattern)), action, TABLE, {}).allowed is hit


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        (TABLE, True),
        ("arn:aws:dynamodb:*:*:table/Orders", True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/Ord*", True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", False),  # ARNs keep case
        ("arn:aws:dynamodb:us-east-1:123456789012:table/Orders/index/*", False),
        ("arn:aws:*:us-east-1:123456789012:table/*", True),
        ("arn:aws:dynamodb:us-east-1:*:index/*", False),
        ("*", True),
    ],
)
def test_resource_wildcards(pattern: str, hit: bool) -> None:
    assert (
        decide(
            statements(allow("dynamodb:GetItem", pattern)), "dynamodb:GetItem", TABLE, {}
        ).allowed
        is hit
    )


def test_not_action_allows_everything_else() -> None:
    found = statements({"Effect": "Allow", "NotAction": "dynamodb:Delete*", "Resource": "*"})
    assert decide(found, "dynamodb:GetItem", TABLE, {}).allowed
    assert not decide(found, "dynamodb:DeleteItem", TABLE, {}).allowed


def test_not_resource_denies_everything_else() -> None:
    found = statements(
        allow("dynamodb:*"),
        {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE},
    )
    assert decide(found, "dynamodb:GetItem", TABLE, {}).allowed
    assert decide(found, "dynamodb:GetItem", OTHER, {}).explicit_deny


def test_a_list_of_resources_and_actions() -> None:
    found = statements(allow(["dynamodb:GetItem", "dynamodb:Query"], [TABLE, f"{TABLE}/index/*"]))
    assert decide(found, "dynamodb:Query", f"{TABLE}/index/byDate", {}).allowed
    assert not decide(found, "dynamodb:Query", OTHER, {}).allowed


def test_a_policy_variable_in_a_resource() -> None:
    found = statements(
        allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}")
    )
    assert decide(found, "dynamodb:GetItem", TABLE, {"aws:principaltag/team": "Orders"}).allowed
    assert not decide(found, "dynamodb:GetItem", TABLE, {}).allowed  # unset: no match


@pytest.mark.parametrize(
    "raw",
    [
        {"Effect": "Maybe", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*"},
        {"Effect": "Allow", "Action": "GetItem", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Sorta": {}}},
    ],
)
def test_malformed_statements_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(policy.PolicyError):
        statements(raw)


def test_a_single_statement_not_in_a_list() -> None:
    found = policy.document({"Statement": allow("sqs:SendMessage")})
    assert decide(found, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", {}).allowed


def test_the_policy_set_caches_per_request_and_condition_values() -> None:
    found = PolicySet(
        statements(
            allow(
                "dynamodb:GetItem",
                TABLE,
                Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["u1"]}},
            )
        )
    )
    mine = IamRequest("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": ("u1",)})
    theirs = IamRequest("dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": ("u2",)})
    assert found.decide(mine, {}).allowed
    assert not found.decide(theirs, {}).allowed  # another key value is another decision
    assert found.decide(mine, {}).allowed
