"""Resolve CloudFormation intrinsic functions in template values.

The :class:`Resolver` knows the functions; what a name refers to (parameters,
resources, pseudo parameters, conditions, mappings, exports) is asked of a
:class:`Scope`, so resolution is lazy: a ``Ref`` is computed when it is met,
whatever the order of the resources in the template.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from serverlite.errors import TemplateError, TemplateErrors


class _NoValue:
    """What ``Ref: AWS::NoValue`` yields: the key or list element holding it goes away."""

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()


class Placeholder(str):
    """An attribute serverlite does not know of a resource it does not emulate: a
    plausible stand-in. Where a list is needed (``Fn::Select`` over a VPC's
    ``CidrBlockAssociations``), it stands in for a list of such strings."""

    def item(self, index: int) -> Placeholder:
        return Placeholder(f"{self}-{index}")


class Scope(Protocol):
    """What a template's names mean; implemented by a stack."""

    file: str
    region: str

    def ref(self, name: str, path: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str, path: str) -> Any: ...

    def condition(self, name: str, path: str) -> bool: ...

    def mapping(self, name: str, path: str) -> Mapping[str, Any]: ...

    def import_value(self, name: str, path: str) -> Any: ...


def is_intrinsic(value: Any) -> bool:
    """True for ``{"Ref": ...}`` / ``{"Fn::X": ...}`` (a one-key mapping naming a function)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def to_cfn_string(value: Any) -> str | None:
    """A scalar as CloudFormation renders it in a string (booleans lowercase); else None."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Resolves intrinsic functions against a :class:`Scope`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._functions: dict[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::If": self._if,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAZs": self._get_azs,
            "Fn::Base64": self._base64,
            "Fn::Cidr": self._cidr,
            "Fn::ImportValue": self._import_value,
            "Fn::Equals": self._equals,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Fn::Not": self._not,
            "Fn::ToJsonString": self._to_json_string,
            "Fn::Length": self._length,
            "Fn::Transform": self._transform,
        }

    def error(self, path: str, message: str) -> TemplateError:
        return TemplateError(self.scope.file, path, message)

    def require(self, value: Any, path: str) -> Any:
        """``value``, unless it holds an unset parameter's placeholder (the scope raises)."""
        check = getattr(self.scope, "require_value", None)
        if check is not None:
            check(value, path)
        return value

    def resolve(self, value: Any, path: str) -> Any:
        """``value`` with every intrinsic resolved; may be :data:`NO_VALUE`."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                ((name, argument),) = value.items()
                function = self._functions.get(name)
                if function is None:
                    raise self.error(path, f"unsupported intrinsic function {name}")
                return function(argument, path)
            parts = [(key, f"{path}.{key}", item) for key, item in value.items()]
            return dict(self._resolve_all(parts))
        if isinstance(value, list):
            parts = [(i, f"{path}[{i}]", item) for i, item in enumerate(value)]
            return [item for _, item in self._resolve_all(parts)]
        return value

    def _resolve_all(self, parts: list[tuple[Any, str, Any]]) -> list[tuple[Any, Any]]:
        """Resolve each part, dropping AWS::NoValue; every failing part is reported."""
        resolved: list[tuple[Any, Any]] = []
        errors: list[TemplateError] = []
        for key, path, item in parts:
            try:
                result = self.resolve(item, path)
            except TemplateErrors as exc:
                errors.extend(exc.errors)
                continue
            except TemplateError as exc:
                errors.append(exc)
                continue
            if result is not NO_VALUE:
                resolved.append((key, result))
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise TemplateErrors(errors)
        return resolved

    def evaluate_condition(self, expression: Any, path: str) -> bool:
        """A condition: ``{"Condition": name}`` or an Fn::Equals/And/Or/Not expression."""
        if isinstance(expression, dict) and len(expression) == 1 and "Condition" in expression:
            name = expression["Condition"]
            if not isinstance(name, str):
                raise self.error(path, "Condition must name a condition")
            return self.scope.condition(name, path)
        value = self.resolve(expression, path)
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return bool(value == "true")
        raise self.error(path, f"a condition must be true or false, got {value!r}")

    # -- helpers -----------------------------------------------------------------

    def _string(self, value: Any, path: str, what: str) -> str:
        text = to_cfn_string(self.resolve(value, path))
        if text is None:
            raise self.error(path, f"{what} must be a string")
        return text

    def _args(self, argument: Any, path: str, name: str, count: int | tuple[int, int]) -> list[Any]:
        low, high = (count, count) if isinstance(count, int) else count
        if not isinstance(argument, list) or not low <= len(argument) <= high:
            n = str(low) if low == high else f"{low}-{high}"
            raise self.error(path, f"{name} takes a list of {n} arguments")
        return argument

    def _list(self, value: Any, path: str, name: str) -> list[Any]:
        resolved = self.resolve(value, path)
        if isinstance(resolved, Placeholder):
            return [resolved]  # a non-emulated resource's list attribute: one stand-in
        if not isinstance(resolved, list):
            raise self.error(path, f"{name} needs a list, got {resolved!r}")
        return resolved

    # -- functions ------------------------------------------------------------------

    def _ref(self, argument: Any, path: str) -> Any:
        name = self.resolve(argument, path) if isinstance(argument, dict) else argument
        if not isinstance(name, str):
            raise self.error(path, "Ref takes the name of a parameter or resource")
        return self.scope.ref(name, path)

    def _get_att(self, argument: Any, path: str) -> Any:
        if isinstance(argument, str):
            logical_id, _, attribute = argument.partition(".")
            parts: list[Any] = [logical_id, attribute]
        else:
            parts = self._args(argument, path, "Fn::GetAtt", 2)
        logical_id = parts[0]
        attribute = self.resolve(parts[1], f"{path}.Fn::GetAtt[1]")
        if not isinstance(logical_id, str) or not isinstance(attribute, str) or not attribute:
            raise self.error(path, "Fn::GetAtt takes [LogicalId, AttributeName]")
        return self.scope.get_att(logical_id, attribute, path)

    def _sub(self, argument: Any, path: str) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list):
            self._args(argument, path, "Fn::Sub", 2)
            text, variables = argument[0], argument[1]
            if not isinstance(variables, dict):
                raise self.error(path, "Fn::Sub's second argument must be a mapping")
        else:
            text = argument
        if not isinstance(text, str):
            raise self.error(path, "Fn::Sub takes a string or [string, {variables}]")

        def substitute(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"  # "${!Literal}" renders "${Literal}"
            name = inner.strip()
            if name in variables:
                value = self.resolve(variables[name], f"{path}.Fn::Sub[1].{name}")
            elif "." in name:
                logical_id, _, attribute = name.partition(".")
                value = self.scope.get_att(logical_id, attribute, path)
            else:
                value = self.scope.ref(name, path)
            rendered = to_cfn_string(value)
            if rendered is None:
                raise self.error(path, f"Fn::Sub cannot put ${{{name}}} in a string: {value!r}")
            return rendered

        return _SUB_VARIABLE.sub(substitute, text)

    def _join(self, argument: Any, path: str) -> str:
        delimiter, values = self._args(argument, path, "Fn::Join", 2)
        if not isinstance(delimiter, str):
            raise self.error(path, "Fn::Join's delimiter must be a string")
        parts = []
        for item in self._list(values, f"{path}.Fn::Join[1]", "Fn::Join"):
            text = to_cfn_string(item)
            if text is None:
                raise self.error(path, f"Fn::Join can only join strings, got {item!r}")
            parts.append(text)
        return delimiter.join(parts)

    def _if(self, argument: Any, path: str) -> Any:
        name, when_true, when_false = self._args(argument, path, "Fn::If", 3)
        if not isinstance(name, str):
            raise self.error(path, "Fn::If's first argument must name a condition")
        if self.scope.condition(name, path):
            return self.resolve(when_true, f"{path}.Fn::If[1]")
        return self.resolve(when_false, f"{path}.Fn::If[2]")

    def _select(self, argument: Any, path: str) -> Any:
        index, values = self._args(argument, path, "Fn::Select", 2)
        position = self.require(self.resolve(index, f"{path}.Fn::Select[0]"), path)
        try:
            number = int(position)
        except (TypeError, ValueError):
            raise self.error(
                path, f"Fn::Select's index must be a number, got {position!r}"
            ) from None
        resolved = self.resolve(values, f"{path}.Fn::Select[1]")
        if isinstance(resolved, Placeholder):
            # A list attribute of a resource serverlite does not emulate: a stand-in item.
            return resolved.item(number)
        items = self._list(resolved, f"{path}.Fn::Select[1]", "Fn::Select")
        if not 0 <= number < len(items):
            raise self.error(
                path, f"Fn::Select index {number} is out of range ({len(items)} items)"
            )
        return items[number]

    def _split(self, argument: Any, path: str) -> list[str]:
        delimiter, source = self._args(argument, path, "Fn::Split", 2)
        if not isinstance(delimiter, str) or not delimiter:
            raise self.error(path, "Fn::Split's delimiter must be a non-empty string")
        return self._string(source, f"{path}.Fn::Split[1]", "Fn::Split's source").split(delimiter)

    def _find_in_map(self, argument: Any, path: str) -> Any:
        args = self._args(argument, path, "Fn::FindInMap", (3, 4))
        keys = [
            self._string(a, f"{path}.Fn::FindInMap[{i}]", "a key") for i, a in enumerate(args[:3])
        ]
        self.require(keys, path)
        default = NO_VALUE
        if len(args) == 4:  # AWS::LanguageExtensions: [Map, Top, Second, {DefaultValue: x}]
            if not isinstance(args[3], dict) or "DefaultValue" not in args[3]:
                raise self.error(path, "Fn::FindInMap's fourth argument is {DefaultValue: ...}")
            default = args[3]["DefaultValue"]
        table = self.scope.mapping(keys[0], path)
        top = table.get(keys[1])
        if isinstance(top, dict) and keys[2] in top:
            return self.resolve(top[keys[2]], path)
        if default is not NO_VALUE:
            return self.resolve(default, path)
        raise self.error(path, f"Fn::FindInMap: mapping {keys[0]} has no {keys[1]}.{keys[2]}")

    def _get_azs(self, argument: Any, path: str) -> list[str]:
        region = self.resolve(argument, path) or self.scope.region
        if not isinstance(region, str):
            raise self.error(path, "Fn::GetAZs takes a region name or ''")
        return [f"{region}{zone}" for zone in "abc"]

    def _base64(self, argument: Any, path: str) -> str:
        text = self._string(argument, path, "Fn::Base64's value")
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    def _cidr(self, argument: Any, path: str) -> list[str]:
        block, count, bits = (
            self.resolve(a, path) for a in self._args(argument, path, "Fn::Cidr", 3)
        )
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            subnets = network.subnets(new_prefix=network.max_prefixlen - int(bits))
            result = [str(subnet) for _, subnet in zip(range(int(count)), subnets, strict=False)]
        except (TypeError, ValueError) as exc:
            raise self.error(path, f"Fn::Cidr: {exc}") from exc
        if len(result) < int(count):
            raise self.error(path, f"Fn::Cidr: {block} has fewer than {count} /{bits} blocks")
        return result

    def _import_value(self, argument: Any, path: str) -> Any:
        return self.scope.import_value(self._string(argument, path, "Fn::ImportValue's name"), path)

    def _equals(self, argument: Any, path: str) -> bool:
        left, right = (
            self.resolve(a, f"{path}.Fn::Equals[{i}]")
            for i, a in enumerate(self._args(argument, path, "Fn::Equals", 2))
        )
        self.require([left, right], path)  # a placeholder would decide a condition wrongly
        # CloudFormation compares the string forms: !Equals [!Ref Count, 1] holds for "1".
        return bool(_comparable(left) == _comparable(right))

    def _conditions(self, argument: Any, path: str, name: str) -> list[bool]:
        args = self._args(argument, path, name, (2, 10))
        return [self.evaluate_condition(a, f"{path}.{name}[{i}]") for i, a in enumerate(args)]

    def _and(self, argument: Any, path: str) -> bool:
        return all(self._conditions(argument, path, "Fn::And"))

    def _or(self, argument: Any, path: str) -> bool:
        return any(self._conditions(argument, path, "Fn::Or"))

    def _not(self, argument: Any, path: str) -> bool:
        (expression,) = self._args(argument, path, "Fn::Not", 1)
        return not self.evaluate_condition(expression, f"{path}.Fn::Not[0]")

    def _to_json_string(self, argument: Any, path: str) -> str:
        return json.dumps(self.resolve(argument, path), separators=(",", ":"))

    def _length(self, argument: Any, path: str) -> int:
        return len(self._list(argument, path, "Fn::Length"))

    def _transform(self, argument: Any, path: str) -> Any:
        name = argument.get("Name") if isinstance(argument, dict) else None
        include = getattr(self.scope, "include", None)
        if name != "AWS::Include" or include is None:
            raise self.error(
                path,
                f"Fn::Transform {name!r} is not supported by serverlite "
                "(only AWS::Include of a local file; macros run only on AWS)",
            )
        params = argument.get("Parameters")
        location = params.get("Location") if isinstance(params, dict) else None
        location = self.resolve(location, f"{path}.Parameters.Location")
        if not isinstance(location, str) or not location:
            raise self.error(path, "AWS::Include needs Parameters.Location (a file path)")
        # The snippet's own intrinsic functions are resolved where it is included.
        return self.resolve(include(location, path), path)


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    text = to_cfn_string(value)
    return text if text is not None else value
