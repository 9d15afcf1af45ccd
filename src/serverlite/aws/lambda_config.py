"""A function's configuration as Lambda's API describes it."""

from __future__ import annotations

from typing import Any

from serverlite.template.model import FunctionSpec


def configuration(fn: FunctionSpec) -> dict[str, Any]:
    """FunctionConfiguration as GetFunctionConfiguration returns it."""
    config: dict[str, Any] = {
        "FunctionName": fn.name,
        "FunctionArn": fn.arn if fn.version == "$LATEST" else f"{fn.arn}:{fn.version}",
        "Runtime": fn.runtime,
        "Role": fn.role or f"arn:aws:iam::{fn.arn.split(':')[4]}:role/{fn.name}-role",
        "Handler": fn.handler,
        "Description": fn.description,
        "Timeout": fn.timeout_s,
        "MemorySize": fn.memory_mb,
        "Version": fn.version,
        "Environment": {"Variables": dict(fn.environment)},
        "Architectures": list(fn.architectures),
        "EphemeralStorage": {"Size": fn.ephemeral_storage_mb},
        "Layers": [{"Arn": layer.arn} for layer in fn.layers],
        "PackageType": "Zip",
        "State": "Active",
        "LastUpdateStatus": "Successful",
    }
    if fn.dead_letter_queue is not None:
        config["DeadLetterConfig"] = {"TargetArn": fn.dead_letter_queue.arn}
    return config
