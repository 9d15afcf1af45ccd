"""AWS managed policies: their documents, shipped as data (``managed_policies.json``).

AWS owns these and changes them now and then; the file names where and when its
documents were taken (``_source``, ``_retrieved``, and each policy's ``VersionId`` and
``UpdateDate``). A policy not in the file is unknown here: the function's other
policies still apply, and startup says which ARNs could not be read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    arn: str
    version: str
    updated: str
    document: Mapping[str, Any]


@cache
def _catalog() -> Mapping[str, ManagedPolicy]:
    data = json.loads((resources.files("serverlite.iam") / "managed_policies.json").read_text())
    found: dict[str, ManagedPolicy] = {}
    for name, entry in data["policies"].items():
        policy = ManagedPolicy(
            name, entry["Arn"], entry["VersionId"], entry["UpdateDate"], entry["Document"]
        )
        found[name] = found[policy.arn] = policy
    return found


def source() -> str:
    data = json.loads((resources.files("serverlite.iam") / "managed_policies.json").read_text())
    return f"{data['_source']}, retrieved {data['_retrieved']}"


def find(name_or_arn: str) -> ManagedPolicy | None:
    """An AWS managed policy by ARN (any partition), or by bare name as SAM accepts it."""
    key = name_or_arn
    if key.startswith("arn:") and ":iam::aws:policy/" in key:
        key = AWS_POLICY_PREFIX + key.split(":iam::aws:policy/", 1)[1]
    return _catalog().get(key)


def is_aws_managed_arn(text: str) -> bool:
    return text.startswith("arn:") and ":iam::aws:policy/" in text


def arn_of(name: str) -> str:
    """SAM turns a bare managed policy name into its ARN (with its path, e.g. service-role/)."""
    policy = find(name)
    return policy.arn if policy is not None else AWS_POLICY_PREFIX + name
