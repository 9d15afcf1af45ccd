"""What a target receives: the event, ``Input``, ``InputPath`` or ``InputTransformer``.

InputTransformer follows AWS's rules:
- ``InputPathsMap`` names JSON paths into the event (dot notation, array indices,
  ``*``); a path that is not in the event defines no value.
- predefined variables: ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time``, ``aws.events.event`` (the event without
  ``detail``) and ``aws.events.event.json`` (the whole event).
- a template that is JSON (starts with ``{`` or ``[``): a placeholder outside quotes
  becomes the JSON value (strings quoted); inside quotes the value is inserted
  as-is, unescaped ("EventBridge doesn't escape values extracted by InputPath").
  A valid result is sent minified. A placeholder cannot be an object key.
- any other template is text: every value is inserted as-is.
- a placeholder with no value becomes ``null`` outside quotes and nothing inside
  quotes or in text (AWS: the variable "isn't created").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_KEY = re.compile(r"[A-Za-z0-9_\-]+")
PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
_MISSING = object()


class TransformError(ValueError):
    """An InputPath or InputTransformer AWS refuses at PutTargets."""


# -- JSON paths -----------------------------------------------------------------------


@dataclass(frozen=True)
class JsonPath:
    text: str
    steps: tuple[str | int, ...]  # "*" for a wildcard

    @property
    def has_wildcard(self) -> bool:
        return "*" in self.steps

    def select(self, document: Any) -> Any:
        """The value at the path, a list for wildcard paths, or _MISSING."""
        found = _walk(document, self.steps)
        if self.has_wildcard:
            return found
        return found[0] if found else _MISSING


def parse_path(text: str) -> JsonPath:
    if not text.startswith("$"):
        raise TransformError(f"{text!r} is not a JSON path (it must start with $)")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            raise TransformError(f"{text!r} is not a supported JSON path")
        name, index = match.groups()
        if name is not None:
            steps.append(name)
        else:
            steps.append("*" if index == "*" else int(index))
        position = match.end()
    return JsonPath(text, tuple(steps))


def _walk(value: Any, steps: tuple[str | int, ...]) -> list[Any]:
    if not steps:
        return [value]
    step, rest = steps[0], steps[1:]
    if step == "*":
        children = value if isinstance(value, list) else []
        if isinstance(value, dict):
            children = list(value.values())
        return [found for child in children for found in _walk(child, rest)]
    if isinstance(step, int):
        if isinstance(value, list) and step < len(value):
            return _walk(value[step], rest)
        return []
    if isinstance(value, dict) and step in value:
        return _walk(value[step], rest)
    return []


def select_input_path(event: Mapping[str, Any], path: str) -> str:
    """InputPath: the selected part of the event, as JSON (``null`` when absent)."""
    found = parse_path(path).select(event)
    return "null" if found is _MISSING else _dumps(found)


# -- InputTransformer -----------------------------------------------------------------


@dataclass(frozen=True)
class TransformContext:
    rule_arn: str
    rule_name: str
    ingestion_time: str  # ISO 8601


@dataclass(frozen=True)
class InputTransformer:
    paths: Mapping[str, JsonPath]
    template: str

    @classmethod
    def parse(cls, value: Mapping[str, Any]) -> InputTransformer:
        template = value.get("InputTemplate")
        if not isinstance(template, str) or not template:
            raise TransformError("InputTemplate is required")
        if len(template) > 8192:
            raise TransformError("InputTemplate must be at most 8192 characters")
        paths_map = value.get("InputPathsMap") or {}
        if not isinstance(paths_map, Mapping) or len(paths_map) > 100:
            raise TransformError("InputPathsMap must map at most 100 names to JSON paths")
        paths = {}
        for key, path in paths_map.items():
            if not isinstance(key, str) or not _KEY.fullmatch(key) or len(key) > 256:
                raise TransformError(
                    f"InputPathsMap key {key!r} must match [A-Za-z0-9_-]+ (predefined "
                    "aws.events.* variables cannot be redefined)"
                )
            if not isinstance(path, str):
                raise TransformError(f"InputPathsMap value for {key!r} must be a JSON path")
            paths[key] = parse_path(path)
        transformer = cls(paths, template)
        transformer._check_keys()
        return transformer

    def _is_json(self) -> bool:
        return self.template.lstrip()[:1] in ("{", "[")

    def _check_keys(self) -> None:
        if not self._is_json():
            return
        for start, end, quoted in _placeholders(self.template):
            if not quoted and self.template[end:].lstrip().startswith(":"):
                name = self.template[start + 1 : end - 1]
                raise TransformError(
                    f"InputTemplate cannot use the placeholder <{name}> as an object key"
                )

    def apply(self, event: Mapping[str, Any], context: TransformContext) -> str:
        values = self._values(event, context)
        if not self._is_json():
            return _PLACEHOLDER.sub(lambda m: self._text_value(m, values), self.template)
        out: list[str] = []
        last = 0
        for start, end, quoted in _placeholders(self.template):
            name = self.template[start + 1 : end - 1]
            if name not in values and name not in self.paths:
                continue  # not a variable: left as written
            out.append(self.template[last:start])
            value = values.get(name, _MISSING)
            if quoted:
                out.append("" if value is _MISSING else _raw(value))
            else:
                out.append("null" if value is _MISSING else _dumps(value))
            last = end
        out.append(self.template[last:])
        result = "".join(out)
        try:
            return _dumps(json.loads(result))
        except ValueError:
            return result  # AWS sends what the template made, even when it is not JSON

    def _text_value(self, match: re.Match[str], values: Mapping[str, Any]) -> str:
        name = match.group(1)
        if name in values:
            return _raw(values[name])
        return "" if name in self.paths else match.group(0)

    def _values(self, event: Mapping[str, Any], context: TransformContext) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, path in self.paths.items():
            found = path.select(event)
            if found is not _MISSING:
                values[key] = found
        values["aws.events.rule-arn"] = context.rule_arn
        values["aws.events.rule-name"] = context.rule_name
        values["aws.events.event.ingestion-time"] = context.ingestion_time
        values["aws.events.event"] = _Raw(_dumps({k: v for k, v in event.items() if k != "detail"}))
        values["aws.events.event.json"] = _Raw(_dumps(dict(event)))
        return values


@dataclass(frozen=True)
class _Raw:
    """JSON text inserted unescaped wherever it is placed."""

    text: str


def _placeholders(template: str) -> list[tuple[int, int, bool]]:
    """(start, end, inside a JSON string) for each ``<name>`` in a JSON template."""
    found = []
    in_string = escaped = False
    index = 0
    while index < len(template):
        char = template[index]
        if in_string and escaped:
            escaped = False
        elif in_string and char == "\\":
            escaped = True
        elif char == '"':
            in_string = not in_string
        elif char == "<":
            match = _PLACEHOLDER.match(template, index)
            if match:
                found.append((match.start(), match.end(), in_string))
                index = match.end()
                continue
        index += 1
    return found


def _raw(value: Any) -> str:
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, str):
        return value
    return _dumps(value)


def _dumps(value: Any) -> str:
    if isinstance(value, _Raw):
        return value.text
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
