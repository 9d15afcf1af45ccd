"""Template parameters: ``--parameter-overrides`` parsing, defaults, types and constraints."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.errors import ConfigError, TemplateError

from .intrinsics import to_cfn_string

_LIST_TYPES = ("CommaDelimitedList", "List<")
_SSM_TYPE_PREFIX = "AWS::SSM::Parameter::Value<"
_CDK_BOOTSTRAP = "/cdk-bootstrap/"


# What a parameter with no value (none given, no Default) stands as: the template still
# starts, and the placeholder shows wherever the value would be (names, environment).
PLACEHOLDER_PREFIX = "UNSET-"
_PLACEHOLDER = re.compile(r"UNSET-([A-Za-z0-9]+)")


def placeholder(name: str) -> str:
    """The visible stand-in for parameter ``name``'s missing value."""
    return PLACEHOLDER_PREFIX + name


def how_to_set(name: str) -> str:
    return (
        f"pass --parameter-overrides {name}=VALUE, or put {name}=VALUE in "
        "parameter_overrides of samconfig.toml"
    )


class UnsetParameter(TemplateError):
    """A parameter without a value, used where a placeholder cannot stand in for it
    (a condition, a mapping key, a code path, a number): reported once per parameter."""

    def __init__(self, file: str, name: str, used_at: str, hint: str) -> None:
        super().__init__(
            file,
            f"Parameters.{name}",
            f"no value given and no Default, and {used_at} needs its real value ({hint})",
        )
        self.parameter = name


def unset_names(value: Any) -> list[str]:
    """The parameters whose placeholder appears in ``value`` (a string, list or mapping)."""
    if isinstance(value, str):
        return _PLACEHOLDER.findall(value) if PLACEHOLDER_PREFIX in value else []
    if isinstance(value, list):
        return [name for item in value for name in unset_names(item)]
    if isinstance(value, dict):
        return [name for item in value.values() for name in unset_names(item)]
    return []


@dataclass(frozen=True)
class ParameterValue:
    """A parameter's value: ``text`` as given, ``value`` as ``Ref`` returns it."""

    name: str
    type: str
    text: str
    value: str | list[str]
    no_echo: bool = False
    unset_hint: str | None = None  # set when no value was given: how to give one


def parse_parameter_overrides(overrides: str | Iterable[str] | None) -> dict[str, str]:
    """Parse sam's ``--parameter-overrides`` syntax into ``{key: value}``.

    Accepts ``Key=Value`` and ``ParameterKey=Key,ParameterValue=Value`` pairs,
    separated by spaces; values may be double-quoted (``Key="a b"``) and use
    backslash escapes. A list is parsed item by item (several ``--parameter-overrides``).
    """
    if overrides is None:
        return {}
    texts = [overrides] if isinstance(overrides, str) else list(overrides)
    result: dict[str, str] = {}
    for text in texts:
        for token in _split_tokens(text):
            key, value = _parse_pair(token)
            result[key] = value
    return result


def _split_tokens(text: str) -> list[str]:
    """Split at unquoted, unescaped spaces; quotes and escapes are removed."""
    tokens: list[str] = []
    current: list[str] = []
    in_token = False
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            in_token = True
            i += 2
            continue
        if char == '"':
            quoted = not quoted
            in_token = True
        elif char.isspace() and not quoted:
            if in_token:
                tokens.append("".join(current))
            current, in_token = [], False
        else:
            current.append(char)
            in_token = True
        i += 1
    if quoted:
        raise ConfigError(f"--parameter-overrides: unterminated quote in {text!r}")
    if in_token:
        tokens.append("".join(current))
    return tokens


_LONG_FORM = re.compile(r"ParameterKey=([^,=]+),ParameterValue=(.*)", re.DOTALL)
_KEY = re.compile(r"[A-Za-z0-9]+")


def _parse_pair(token: str) -> tuple[str, str]:
    match = _LONG_FORM.fullmatch(token)
    if match:
        key, value = match.group(1), match.group(2)
    else:
        key, sep, value = token.partition("=")
        if not sep:
            raise ConfigError(
                f"--parameter-overrides: {token!r} is not Key=Value "
                "or ParameterKey=Key,ParameterValue=Value"
            )
    if not _KEY.fullmatch(key):
        raise ConfigError(f"--parameter-overrides: {key!r} is not a parameter name")
    return key, value


def resolve_parameters(
    declared: Any,
    given: Mapping[str, str],
    file: str,
    errors: list[TemplateError],
    warnings: list[str],
    given_by: str | None = None,
) -> dict[str, ParameterValue]:
    """Each declared parameter's value: given, else Default; problems go to ``errors``.

    ``given_by`` names where a nested stack's values come from (for messages).
    """
    if declared is None:
        declared = {}
    if not isinstance(declared, dict):
        errors.append(TemplateError(file, "Parameters", "must be a mapping"))
        return {}
    values: dict[str, ParameterValue] = {}
    for name, spec in declared.items():
        path = f"Parameters.{name}"
        if not isinstance(spec, dict) or not isinstance(spec.get("Type", "String"), str):
            errors.append(TemplateError(file, path, "must be a mapping with a Type"))
            continue
        value = _one_parameter(
            name, spec, given.get(name), file, path, errors=errors, warnings=warnings
        )
        if name not in given and "Default" not in spec:
            # SAM refuses to start; serverlite starts with a visible placeholder, unless the
            # value is needed where a placeholder cannot work (then UnsetParameter).
            hint = f"{given_by} gives none" if given_by else how_to_set(name)
            text = placeholder(name)
            listed: str | list[str] = [text] if kind_is_list(value.type) else text
            value = ParameterValue(name, value.type, text, listed, value.no_echo, hint)
        values[name] = value
    return values


def kind_is_list(kind: str) -> bool:
    return kind.startswith(_LIST_TYPES)


def _one_parameter(
    name: str,
    spec: Mapping[str, Any],
    given: str | None,
    file: str,
    path: str,
    *,
    errors: list[TemplateError],
    warnings: list[str],
) -> ParameterValue:
    kind = str(spec.get("Type", "String"))
    no_echo = str(spec.get("NoEcho", "false")).lower() == "true"
    text = given
    if text is None and "Default" in spec:
        default = spec["Default"]
        text = ",".join(map(str, default)) if isinstance(default, list) else to_cfn_string(default)
    if text is None:
        text = ""  # reported by the caller
    elif kind.startswith(_SSM_TYPE_PREFIX) and not text.startswith(_CDK_BOOTSTRAP):
        # serverlite does not read SSM at load time: the value is the parameter's name.
        # (CDK's BootstrapVersion is only checked by the stack's Rules: nothing to say.)
        warnings.append(
            f"{file}: {path}: {kind} resolves to {text!r} literally "
            "(the SSM parameter's name, not its value)"
        )
    else:
        for problem in _constraint_problems(kind, spec, text):
            errors.append(TemplateError(file, path, problem))
    value: str | list[str] = text
    if kind.startswith(_LIST_TYPES):
        # CloudFormation trims each member of a comma-delimited list.
        value = [item.strip() for item in text.split(",")] if text else []
    return ParameterValue(name, kind, text, value, no_echo)


def _constraint_problems(kind: str, spec: Mapping[str, Any], text: str) -> list[str]:
    hint = spec.get("ConstraintDescription")
    suffix = f" ({hint})" if hint else ""
    items = [item.strip() for item in text.split(",")] if kind.startswith(_LIST_TYPES) else [text]
    problems: list[str] = []
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list):
        allowed_text = [to_cfn_string(a) for a in allowed]
        for item in items:
            if item not in allowed_text:
                shown = ", ".join(str(a) for a in allowed_text)
                problems.append(f"{item!r} is not one of the AllowedValues: {shown}{suffix}")
    if kind in ("Number", "List<Number>"):
        for item in items:
            number = _number(item)
            if number is None:
                problems.append(f"{item!r} is not a number")
                continue
            low, high = _number(spec.get("MinValue")), _number(spec.get("MaxValue"))
            if low is not None and number < low:
                problems.append(f"{item} is less than MinValue {spec['MinValue']}{suffix}")
            if high is not None and number > high:
                problems.append(f"{item} is more than MaxValue {spec['MaxValue']}{suffix}")
    elif kind == "String":
        low_len, high_len = _number(spec.get("MinLength")), _number(spec.get("MaxLength"))
        if low_len is not None and len(text) < low_len:
            problems.append(f"{text!r} is shorter than MinLength {spec['MinLength']}{suffix}")
        if high_len is not None and len(text) > high_len:
            problems.append(f"{text!r} is longer than MaxLength {spec['MaxLength']}{suffix}")
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str):
        # RE2 is loaded by a template whose parameters have a pattern, not at every start.
        from serverlite.linear_regex import RegexError, compile_linear

        for item in items:
            try:
                matches = compile_linear(pattern).fullmatch(item) is not None
            except RegexError as exc:
                problems.append(f"AllowedPattern {pattern!r} is not a valid pattern: {exc}")
                break
            if not matches:
                problems.append(f"{item!r} does not match AllowedPattern {pattern!r}{suffix}")
    return problems


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
