"""IAM on the AWS endpoint: the caller's identity policies, applied to each call.

The caller is the function whose access key signed the request (``iam.identities``);
a key that is no function's (the user's shell, tests, serverlite's own in-process
calls, which never come through here) passes as an administrator. Each call asks for
what its service declares (``Operations.iam``), or ``<signing name>:<Operation>`` on
``*``. Then, by mode:

- ``enforce``: a refused call gets AWS's AccessDenied in its protocol's shape.
- ``warn``: the call goes ahead; one log line (once per function, action and
  resource) says what AWS would refuse and the smallest policy that would allow it.

Every decision is written to the journal (``iam.db``) for ``serverlite iam suggest``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

from starlette.types import Scope

from serverlite.aws.backend import AwsError, Operations
from serverlite.iam import credentials, suggest
from serverlite.iam.evaluate import Decision
from serverlite.iam.identities import Identities, Identity
from serverlite.iam.journal import Journal
from serverlite.iam.request import IamRequest

log = logging.getLogger("serverlite.iam")

Mode = Literal["enforce", "warn", "off"]
MODES: tuple[Mode, ...] = ("enforce", "warn", "off")
Protocol = Literal["json", "query", "rest-json", "rest-xml"]


def signing_name(authorization: str | None) -> str:
    """The service of the SigV4 credential scope: ``Credential=AKID/date/region/SERVICE/...``."""
    if not authorization:
        return ""
    start = authorization.find("Credential=")
    parts = authorization[start + len("Credential=") :].split(",", 1)[0].split("/")
    return parts[3].strip() if start >= 0 and len(parts) > 3 else ""


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


def _query_credential(scope: Scope) -> str | None:
    query = scope.get("query_string", b"")
    if b"X-Amz-Credential=" not in query:
        return None
    from urllib.parse import parse_qs

    values = parse_qs(query.decode("latin-1")).get("X-Amz-Credential")
    return values[0] if values else None


class IamCheck:
    def __init__(
        self,
        identities: Identities,
        mode: Mode,
        journal: Journal | None,
        *,
        region: str,
        account: str,
        clock: Callable[[], float],
    ) -> None:
        self.identities = identities
        self.mode = mode
        self.journal = journal
        self.region = region
        self.account = account
        self.clock = clock
        self._warned: set[tuple[str, str, str]] = set()

    def caller(self, scope: Scope) -> tuple[Identity | None, str | None]:
        """The function that signed the request, and the header it signed it in (None:
        a presigned URL, or unsigned)."""
        authorization = _authorization(scope)
        query = None if authorization is not None else _query_credential(scope)
        return self.identities.of(credentials.access_key_of(authorization, query)), authorization

    def check(
        self,
        scope: Scope,
        ops: Operations,
        operation: str,
        request: dict[str, Any],
        protocol: Protocol,
    ) -> None:
        """Raise AccessDenied in ``protocol``'s shape when enforcing and AWS would refuse."""
        identity, authorization = self.caller(scope)
        if identity is None or not identity.evaluated:
            return  # every call but a function's: nothing more is read
        for asked in self.requests(ops, operation, request, signing_name(authorization)):
            decision = identity.policies.decide(asked, identity.context)
            if self.journal is not None:
                self.journal.record(
                    identity.function,
                    identity.qualified_id,
                    asked.action,
                    asked.resource,
                    decision.allowed,
                    self.clock(),
                )
            if decision.allowed:
                continue
            if self.mode == "enforce":
                raise access_denied(ops.service, protocol, identity, asked, decision)
            self._warn(identity, asked, decision)

    def requests(
        self, ops: Operations, operation: str, request: dict[str, Any], service: str
    ) -> Sequence[IamRequest]:
        declared: Sequence[IamRequest] | None = None
        if ops.iam is not None:
            try:
                declared = ops.iam(operation, request)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError):
                declared = None  # a malformed request: the operation answers it
        if declared is None:
            prefix = service or ops.service.lower()
            return (IamRequest(f"{prefix}:{operation}", "*"),)
        return declared

    def _warn(self, identity: Identity, asked: IamRequest, decision: Decision) -> None:
        key = (identity.function, asked.action, asked.resource)
        if key in self._warned:
            return
        self._warned.add(key)
        found = suggest.suggest(
            [(asked.action, asked.resource)], region=self.region, account=self.account
        )
        fix = (
            f"the smallest policy that allows it: Policies: - {suggest.entry_line(found[0])}"
            if found and not decision.explicit_deny
            else "an explicit Deny refuses it"
        )
        log.warning(
            "IAM (warn): AWS would refuse %s (%s) %s on %s; %s",
            identity.qualified_id,
            identity.principal_arn,
            asked.action,
            asked.resource,
            fix,
        )


# How each service names the refusal: (code, HTTP status, how the message spells actions).
# SNS answers AuthorizationError and writes "SNS:Publish"; SQS writes "sqs:sendmessage";
# the JSON services answer AccessDeniedException with 400, the rest-json ones with 403.
_SPELLING: dict[str, Callable[[str], str]] = {
    "SNS": lambda action: "SNS:" + action.split(":", 1)[1],
    "SQS": str.lower,
}
_CODES = {"SNS": ("AuthorizationError", 403), "SQS": ("AccessDenied", 403)}


def access_denied(
    service: str, protocol: Protocol, identity: Identity, asked: IamRequest, decision: Decision
) -> AwsError:
    action = _SPELLING.get(service, str)(asked.action)
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.explicit_deny
        else f"because no identity-based policy allows the {action} action"
    )
    # S3 writes the resource in double quotes: on resource: "arn:aws:s3:::bucket/key".
    resource = f'"{asked.resource}"' if service == "S3" else asked.resource
    message = (
        f"User: {identity.principal_arn} is not authorized to perform: {action} "
        f"on resource: {resource} {why}"
    )
    # AccessDenied is a framework error: JSON answers com.amazon.coral.service#
    # AccessDeniedException (400), rest-json x-amzn-ErrorType: AccessDeniedException (403).
    code, status = _CODES.get(service, ("AccessDenied", 400 if protocol == "json" else 403))
    error = AwsError(code, message, status)
    if service == "SQS":  # the JSON protocol carries the query code for botocore
        error.headers["x-amzn-query-error"] = "AccessDenied;Sender"
    if protocol == "rest-json":
        error.message_key = "Message"
    return error
