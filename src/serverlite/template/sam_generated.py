"""Lambda resources SAM generates from a function's properties.

``AutoPublishAlias: live`` makes SAM publish a version, ``<Fn>Version<hash>``
(AWS::Lambda::Version), and point an alias at it, ``<Fn>Alias<live>``
(AWS::Lambda::Alias, with the function's ProvisionedConcurrencyConfig); ``!Ref Fn.Alias``
and ``!Ref Fn.Version`` name them. ``FunctionUrlConfig`` makes ``<Fn>Url``
(AWS::Lambda::Url, targeting the alias when there is one). The generated resources are
the same types a plain CloudFormation template declares, so everything after the
template reads them one way.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

ALIAS_SUFFIX = "Alias"
VERSION_SUFFIX = "Version"


def alias_name(value: Any, resolve: Callable[[Any], Any]) -> str | None:
    """AutoPublishAlias as a string (it may be a ``Ref`` to a parameter, as SAM allows)."""
    if value is None:
        return None
    resolved = resolve(value)
    return resolved if isinstance(resolved, str) and resolved else None


def alias_logical_id(function_id: str, alias: str) -> str:
    # SAM keeps only the alias name's alphanumerics in the logical id.
    return f"{function_id}{ALIAS_SUFFIX}{re.sub(r'[^A-Za-z0-9]', '', alias)}"


def version_logical_id(function_id: str, properties: Mapping[str, Any]) -> str:
    """``<Fn>Version`` and ten hex digits of a hash of the code (SAM hashes the code's
    location with AutoPublishCodeSha256, so new code is a new version resource)."""
    code = {
        key: properties.get(key)
        for key in ("CodeUri", "InlineCode", "ImageUri", "AutoPublishCodeSha256")
    }
    digest = hashlib.sha256(json.dumps(code, sort_keys=True, default=str).encode()).hexdigest()
    return f"{function_id}{VERSION_SUFFIX}{digest[:10]}"


def generated(
    function_id: str, properties: Mapping[str, Any], resolve: Callable[[Any], Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Logical id -> (type, properties) of what SAM generates for one function."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    alias = alias_name(properties.get("AutoPublishAlias"), resolve)
    target: dict[str, Any] = {"Ref": function_id}
    if alias is not None:
        version_id = version_logical_id(function_id, properties)
        version: dict[str, Any] = {"FunctionName": {"Ref": function_id}}
        if "VersionDescription" in properties:
            version["Description"] = properties["VersionDescription"]
        out[version_id] = ("AWS::Lambda::Version", version)
        alias_props: dict[str, Any] = {
            "Name": alias,
            "FunctionName": {"Ref": function_id},
            "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
        }
        if "ProvisionedConcurrencyConfig" in properties:
            alias_props["ProvisionedConcurrencyConfig"] = properties["ProvisionedConcurrencyConfig"]
        out[alias_logical_id(function_id, alias)] = ("AWS::Lambda::Alias", alias_props)
    url = properties.get("FunctionUrlConfig")
    if isinstance(url, dict):
        url_props: dict[str, Any] = {"TargetFunctionArn": target, **url}
        if alias is not None:  # SAM points the URL at the alias
            url_props["Qualifier"] = alias
        out[f"{function_id}Url"] = ("AWS::Lambda::Url", url_props)
    return out


def dotted_ref(
    name: str, properties: Mapping[str, Any], resolve: Callable[[Any], Any]
) -> str | None:
    """The logical id ``Fn.Alias`` / ``Fn.Version`` stands for, or None if it names
    neither (``properties`` are Fn's)."""
    function_id, _, suffix = name.partition(".")
    alias = alias_name(properties.get("AutoPublishAlias"), resolve)
    if alias is None:
        return None
    if suffix == ALIAS_SUFFIX:
        return alias_logical_id(function_id, alias)
    if suffix == VERSION_SUFFIX:
        return version_logical_id(function_id, properties)
    return None
