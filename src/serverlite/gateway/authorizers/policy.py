"""IAM policy documents as Lambda authorizers return them, evaluated against method ARNs.

A method ARN is ``arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}``.
A statement's Resource may use ``*`` (any run of characters, ``/`` included) and ``?``
(any one character). As IAM does, the six colon-separated parts of an ARN are matched
part by part, so ``*`` in the region never swallows the account. An explicit Deny
beats any Allow; no matching Allow is an implicit deny.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from serverlite import linear_regex
from serverlite.linear_regex import LinearPattern

Outcome = Literal["ALLOW", "EXPLICIT_DENY", "IMPLICIT_DENY"]


class PolicyError(ValueError):
    """The authorizer returned something that is not a usable policy document."""


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> LinearPattern:
    # The policy comes from the authorizer's code and the ARN from the request path: a
    # backtracking regex of many "*" would stall every port (serverlite.linear_regex).
    return linear_regex.glob(pattern)


def glob_match(pattern: str, text: str) -> bool:
    return _glob(pattern).fullmatch(text) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """Whether a policy Resource (wildcards allowed) covers ``arn``."""
    if pattern == "*":
        return True
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return False  # not an ARN pattern: it matches nothing
    return all(glob_match(w, a) for w, a in zip(wanted, actual, strict=True))


def action_matches(pattern: str, action: str = "execute-api:Invoke") -> bool:
    # IAM compares action names case-insensitively.
    return glob_match(pattern.lower(), action.lower())


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"statement {what} must be a string or a list of strings")


def parse_policy(document: Any) -> tuple[Statement, ...]:
    """The statements of a policy document; PolicyError when it is malformed."""
    if not isinstance(document, Mapping):
        raise PolicyError("policyDocument must be an object")
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise PolicyError("policyDocument.Statement must be a list")
    statements = []
    for entry in raw:
        if not isinstance(entry, Mapping):
            raise PolicyError("each statement must be an object")
        effect = entry.get("Effect")
        # API Gateway accepts the effect in any case ("allow" works as "Allow").
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise PolicyError("statement Effect must be Allow or Deny")
        statements.append(
            Statement(
                allow=effect.lower() == "allow",
                actions=_strings(entry.get("Action"), "Action"),
                resources=_strings(entry.get("Resource"), "Resource"),
            )
        )
    return tuple(statements)


def evaluate(statements: tuple[Statement, ...], method_arn: str) -> Outcome:
    allowed = False
    for statement in statements:
        if not any(action_matches(a) for a in statement.actions):
            continue
        if not any(resource_matches(r, method_arn) for r in statement.resources):
            continue
        if not statement.allow:
            return "EXPLICIT_DENY"
        allowed = True
    return "ALLOW" if allowed else "IMPLICIT_DENY"
