"""Who each function is on the AWS endpoint: its credentials, principal and policies.

``Identities.of(access_key)`` answers the endpoint's question "which function signed
this?"; an access key that is no function's (the user's shell, tests, serverlite's
own calls) is nobody's here, and the endpoint lets it through (an administrator).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from serverlite.iam import credentials
from serverlite.iam.evaluate import PolicySet
from serverlite.iam.request import ContextValue
from serverlite.iam.sources import policies_of, role_name
from serverlite.template.model import Application, FunctionSpec


@dataclass(frozen=True)
class Identity:
    function: str  # the physical function name
    qualified_id: str  # Stack/Logical
    role_arn: str
    principal_arn: str  # arn:aws:sts::<account>:assumed-role/<role>/<function>
    access_key_id: str
    policies: PolicySet
    context: Mapping[str, ContextValue]  # the global condition keys of its requests
    evaluated: bool = True  # False: its role is outside the application


def principal_arn(account: str, role_arn: str, function: str) -> str:
    """Lambda assumes the role with the function's name as session name."""
    return f"arn:aws:sts::{account}:assumed-role/{role_name(role_arn)}/{function}"


class Identities:
    def __init__(self, app: Application) -> None:
        by_key: dict[str, Identity] = {}
        by_function: dict[str, Identity] = {}
        notes: list[str] = []
        for fn in app.functions:
            identity, problems = _identity(app, fn)
            by_key[identity.access_key_id] = by_function[fn.name] = identity
            notes += problems
        self._by_key = MappingProxyType(by_key)
        self.by_function = MappingProxyType(by_function)
        self.notes = tuple(notes)  # said at startup: what could not be read

    def of(self, access_key_id: str | None) -> Identity | None:
        return self._by_key.get(access_key_id or "")


def _identity(app: Application, fn: FunctionSpec) -> tuple[Identity, list[str]]:
    found = policies_of(app, fn)
    principal = principal_arn(app.account_id, found.role_arn, fn.name)
    context: dict[str, ContextValue] = {
        "aws:principalarn": found.role_arn,  # for an assumed role, the role's ARN
        "aws:principalaccount": app.account_id,
        "aws:principaltype": "AssumedRole",
        "aws:userid": f"{role_name(found.role_arn)}:{fn.name}",
        "aws:requestedregion": app.region,
        "aws:securetransport": "true",  # SDKs reach AWS over TLS
        "lambda:sourcefunctionarn": fn.arn,
    }
    problems = list(found.problems)
    if not found.known:
        problems.append(
            f"{fn.qualified_id}: its Role {found.role_arn} is not in the template, so its "
            "policies are unknown here and its AWS calls are not checked"
        )
    identity = Identity(
        function=fn.name,
        qualified_id=fn.qualified_id,
        role_arn=found.role_arn,
        principal_arn=principal,
        access_key_id=credentials.for_function(fn.arn).access_key_id,
        policies=PolicySet(found.statements),
        context=MappingProxyType(context),
        evaluated=found.known,
    )
    return identity, problems
