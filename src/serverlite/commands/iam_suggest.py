"""``serverlite iam suggest [FUNCTION]``: the least-privilege ``Policies`` of each function,
from the calls serverlite saw it make (``<state>/iam.db``, written under ``--iam warn``
and ``--iam enforce``).

Each function's block covers every call it made, allowed or refused, grouped by
resource, with the smallest SAM policy template that allows them (an inline statement
where none does). A name the function's own stack defines is written as the
template writes it (``!Ref ContactsTable``, ``!GetAtt Queue.Arn``...), so the block
pastes into the function's ``Properties`` as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from serverlite.errors import ConfigError
from serverlite.iam import journal
from serverlite.iam.journal import Journal, SeenCall
from serverlite.iam.suggest import policies_block, suggest
from serverlite.template.model import Application, FunctionSpec, ResourceSpec


def names_in_stack(app: Application, fn: FunctionSpec) -> dict[str, str]:
    """Values the function's stack can write by reference: physical ids as ``!Ref``,
    ARNs as ``!GetAtt X.Arn`` (or ``!Ref`` where Ref gives the ARN), queue names."""
    refs: dict[str, str] = {}
    for other in app.functions:
        if other.stack_path == fn.stack_path:
            refs.setdefault(other.name, f"!Ref {other.logical_id}")
            refs.setdefault(other.arn, f"!GetAtt {other.logical_id}.Arn")
    for res in _stack_resources(app, fn.stack_path):
        refs.setdefault(res.physical_id, f"!Ref {res.logical_id}")
        for attribute in ("Arn", "QueueName", "TopicName", "Name"):
            value = res.attributes.get(attribute)
            if isinstance(value, str):
                refs.setdefault(value, f"!GetAtt {res.logical_id}.{attribute}")
    return refs


def _stack_resources(app: Application, path: tuple[str, ...]) -> Iterable[ResourceSpec]:
    return (res for res in app.resources if res.stack_path == path)


def report(app: Application, calls: Iterable[SeenCall], function: str | None) -> str:
    by_function: dict[str, list[SeenCall]] = {}
    for call in calls:
        by_function.setdefault(call.function, []).append(call)
    if function is not None:
        fn = app.find_function(function)
        if fn is None:
            raise ConfigError(f"no function {function!r} in the template")
        by_function = {fn.name: by_function.get(fn.name, [])}
    if not by_function:
        return (
            "serverlite has seen no function call the AWS endpoint yet: run the app under "
            "`serverlite up` (--iam warn or enforce) and exercise it, then ask again."
        )
    parts = []
    for name in sorted(by_function):
        parts.append(_one(app, name, by_function[name]))
    return "\n\n".join(parts)


def _one(app: Application, name: str, calls: list[SeenCall]) -> str:
    fn = app.find_function(name)
    title = fn.qualified_id if fn is not None else name
    if not calls:
        return f"# {title}: no calls to the AWS endpoint seen"
    refused = sorted({f"{c.action} on {c.resource}" for c in calls if not c.allowed})
    found = suggest(
        [(c.action, c.resource) for c in calls], region=app.region, account=app.account_id
    )
    refs: Mapping[str, str] = names_in_stack(app, fn) if fn is not None else {}
    head = [f"# {title}: {len(calls)} distinct call(s) seen"]
    head += [f"#   refused (or would be): {line}" for line in refused]
    body = policies_block(found, refs)
    return "\n".join([*head, body])


def run(app: Application, state_dir: Path, function: str | None) -> str:
    store = Journal(state_dir / journal.FILE)
    try:
        return report(app, store.calls(), function)
    finally:
        store.close()
