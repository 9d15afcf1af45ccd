"""The smallest policy that allows what a function was seen doing.

For each resource a function touched, the SAM policy template that allows every
action it took there with the fewest actions of its own (``DynamoDBReadPolicy`` for
reads, ``DynamoDBCrudPolicy`` once it also writes); when no template fits, an inline
statement with exactly those actions. A template's parameter is found by trying the
names the resource ARN holds (``table/T`` gives ``T``; a secret is named by its ARN)
and keeping the one whose expansion allows the calls, checked by the evaluator itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.iam import policy, sam_templates
from serverlite.iam.evaluate import decide

Call = tuple[str, str]  # (action, resource)


@dataclass(frozen=True)
class Suggestion:
    """One entry of a SAM function's ``Policies`` list."""

    entry: Mapping[str, Any]  # {"DynamoDBReadPolicy": {"TableName": "t"}} or {"Statement": [...]}
    calls: tuple[Call, ...]  # what it allows of what was seen

    @property
    def template(self) -> str | None:
        (name,) = self.entry
        return None if name == "Statement" else str(name)


def candidates(resource: str) -> list[str]:
    """Names a template parameter may take from an ARN: the ARN, its resource part,
    and each tail of that part split at ``/`` and ``:``."""
    if resource == "*":
        return ["*"]
    found = [resource]
    tail = resource.split(":", 5)[-1] if resource.startswith("arn:") else resource
    parts = [tail]
    for sep in ("/", ":"):
        parts += [tail.split(sep, i)[-1] for i in range(1, tail.count(sep) + 1)]
    for part in parts:
        if part and part not in found:
            found.append(part)
    if tail.startswith("parameter/"):
        found.append(tail.removeprefix("parameter"))  # an SSM name with its leading slash
    return found


def _allowed_actions(document: Mapping[str, Any]) -> int:
    return sum(
        len(s.get("Action", [])) if isinstance(s.get("Action"), list) else 1
        for s in document.get("Statement", [])
    )


# The templates people reach for, preferred in this order when several fit; the others
# (backups, rotation, reconfiguration...) are suggested only when none of these does.
COMMON = (
    "DynamoDBReadPolicy", "DynamoDBWritePolicy", "DynamoDBCrudPolicy", "DynamoDBStreamReadPolicy",
    "SQSSendMessagePolicy", "SQSPollerPolicy", "SNSPublishMessagePolicy", "SNSCrudPolicy",
    "EventBridgePutEventsPolicy", "SSMParameterReadPolicy", "SSMParameterWithSlashPrefixReadPolicy",
    "AWSSecretsManagerGetSecretValuePolicy", "LambdaInvokePolicy", "S3ReadPolicy", "S3WritePolicy",
    "S3CrudPolicy", "KinesisStreamReadPolicy", "KinesisCrudPolicy", "StepFunctionsExecutionPolicy",
    "KMSDecryptPolicy", "KMSEncryptPolicy",
)  # fmt: skip


def _fits(statements: tuple[policy.Statement, ...], wanted: tuple[Call, ...]) -> bool:
    """Every call allowed, and none by a statement on every resource (``*``)."""
    for action, resource in wanted:
        decision = decide(statements, action, resource, {})
        if not decision.allowed or decision.statement is None:
            return False
        if resource != "*" and "*" in decision.statement.resources:
            return False
    return True


def template_for(calls: Iterable[Call], *, region: str, account: str) -> Suggestion | None:
    """The smallest single-parameter SAM template allowing all ``calls`` (one resource)."""
    wanted = tuple(dict.fromkeys(calls))
    resources = sorted({_group(resource) for _, resource in wanted})
    rest = sorted(set(sam_templates.definitions()) - set(COMMON))
    for group in (COMMON, rest):
        best: tuple[int, int, Suggestion] | None = None
        for rank, name in enumerate(group):
            params = sam_templates.parameters(name) if sam_templates.is_template(name) else ()
            if len(params) != 1:
                continue
            for value in (v for r in resources for v in candidates(r)):
                document = sam_templates.expand(
                    name, {params[0]: value}, region=region, account=account
                )
                if _fits(policy.document(document, name), wanted):
                    size = _allowed_actions(document)
                    if best is None or (size, rank) < best[:2]:
                        best = (size, rank, Suggestion({name: {params[0]: value}}, wanted))
                    break
        if best is not None:
            return best[2]
    return None


def suggest(calls: Iterable[Call], *, region: str, account: str) -> list[Suggestion]:
    """Entries for ``Policies`` covering every call, grouped by resource."""
    groups: dict[str, list[Call]] = {}
    for call in calls:
        group = groups.setdefault(_group(call[1]), [])
        if call not in group:
            group.append(call)
    out: list[Suggestion] = []
    for key in sorted(groups):
        wanted = tuple(groups[key])
        found = template_for(wanted, region=region, account=account)
        if found is None:
            statement = {
                "Effect": "Allow",
                "Action": sorted({action for action, _ in wanted}),
                "Resource": sorted({resource for _, resource in wanted}),
            }
            if len(statement["Resource"]) == 1:
                statement["Resource"] = statement["Resource"][0]
            found = Suggestion({"Statement": [statement]}, wanted)
        out.append(found)
    return out


def _group(resource: str) -> str:
    """A DynamoDB index or stream belongs with its table: one entry covers both."""
    if ":dynamodb:" in resource:
        for part in ("/index/", "/stream/"):
            resource = resource.split(part, 1)[0]
    return resource


def scalar(value: Any, refs: Mapping[str, str]) -> str:
    """One YAML scalar: a template's own name for it (``!Ref T``) when it has one."""
    text = str(value)
    if text in refs:
        return refs[text]
    if text and all(ch.isalnum() or ch in "_.-" for ch in text):
        return text
    return json.dumps(text)


def flow(value: Any, refs: Mapping[str, str] | None = None) -> str:
    """A value in YAML flow style, as one line of a template."""
    refs = refs or {}
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {flow(v, refs)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v, refs) for v in value) + "]"
    return scalar(value, refs)


def entry_line(suggestion: Suggestion, refs: Mapping[str, str] | None = None) -> str:
    """``DynamoDBReadPolicy: {TableName: T}``: one ``Policies`` entry on one line."""
    ((name, value),) = suggestion.entry.items()
    return f"{name}: {flow(value, refs)}"


def policies_block(suggestions: Iterable[Suggestion], refs: Mapping[str, str] | None = None) -> str:
    lines = ["Policies:"]
    lines += [f"  - {entry_line(s, refs)}" for s in suggestions]
    return "\n".join(lines)
