"""The decision for one request against one principal's identity-based policies.

AWS's policy evaluation logic, for a principal in the same account with no resource
policy, permission boundary, session policy or SCP in play:

1. An explicit ``Deny`` in any statement that applies decides: refused.
2. Otherwise an ``Allow`` that applies decides: allowed.
3. Otherwise: refused by default (an implicit deny).

A statement applies when its action, resource and condition all match. Decisions are
cached per (action, resource, and the values of the condition keys the principal's
policies read), so a function calling GetItem on its table all day evaluates once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from serverlite.iam.policy import DENY, Statement
from serverlite.iam.request import ContextValue, IamRequest

CACHE_LIMIT = 8192


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False
    statement: Statement | None = None  # the Deny that refused, or the Allow that allowed


def decide(
    statements: Iterable[Statement],
    action: str,
    resource: str,
    context: Mapping[str, ContextValue],
) -> Decision:
    allowed_by: Statement | None = None
    for statement in statements:
        if not statement.applies(action, resource, context):
            continue
        if statement.effect == DENY:
            return Decision(False, explicit_deny=True, statement=statement)
        allowed_by = allowed_by or statement
    return Decision(allowed_by is not None, statement=allowed_by)


class PolicySet:
    """One principal's statements, compiled once, with decisions cached."""

    def __init__(self, statements: Iterable[Statement]) -> None:
        self.statements = tuple(statements)
        keys: set[str] = set()
        for statement in self.statements:
            keys |= statement.condition_keys
        self._keys = tuple(sorted(keys))
        self._cache: dict[tuple[object, ...], Decision] = {}

    def decide(self, request: IamRequest, context: Mapping[str, ContextValue]) -> Decision:
        """``context``: the principal's and request's keys, lowercased, the request's
        own (``request.context``) added here."""
        if request.context:
            context = {**context, **{k.casefold(): v for k, v in request.context.items()}}
        key = (request.action, request.resource, *(context.get(k) for k in self._keys))
        found = self._cache.get(key)
        if found is None:
            found = decide(self.statements, request.action, request.resource, context)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found
