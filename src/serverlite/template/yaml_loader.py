"""Read a template file (YAML with CloudFormation short-form tags, or JSON) into dicts.

Short forms become the long forms CloudFormation itself uses: ``!Ref X`` is
``{"Ref": "X"}``, ``!GetAtt A.B`` is ``{"Fn::GetAtt": ["A", "B"]}``, ``!Condition C``
is ``{"Condition": "C"}`` and every other ``!Name`` is ``{"Fn::Name": value}``.
Mappings come back as :class:`LineDict`, which remembers the line of each key, so
errors found later can point at a line (:func:`line_of`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from serverlite.errors import TemplateError

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Short-form tags that map to "Fn::<Name>"; Ref, GetAtt and Condition are special.
_FN_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
)


class LineDict(dict[str, Any]):
    """A mapping read from YAML that remembers the line (1-based) of each key."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}


class _TemplateLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """PyYAML loader with CloudFormation tags, duplicate-key errors, line numbers."""


def _construct_node(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [loader.construct_object(child, deep=True) for child in node.value]
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    raise yaml.constructor.ConstructorError(None, None, "unexpected node", node.start_mark)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark
            )
        # Keys are the text written: "OFF: 1" or "2024-01-01: x" keep their spelling.
        key = str(key_node.value)
        if key in result:
            # CloudFormation rejects duplicate keys; PyYAML would silently keep the last.
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_ref(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _construct_node(loader, node)}


def _construct_condition(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _construct_node(loader, node)}


def _construct_get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct_node(loader, node)
    if isinstance(value, str):
        # "!GetAtt App.Outputs.Name" splits at the first dot only.
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {"Fn::GetAtt": value}


def _fn_constructor(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _construct_node(loader, node)}

    return construct


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    # CloudFormation keeps "2010-09-09" a string; PyYAML would make it a date.
    return str(loader.construct_scalar(node))


_TemplateLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_TemplateLoader.add_constructor("!Ref", _construct_ref)
_TemplateLoader.add_constructor("!Condition", _construct_condition)
_TemplateLoader.add_constructor("!GetAtt", _construct_get_att)
for _name in _FN_TAGS:
    _TemplateLoader.add_constructor(f"!{_name}", _fn_constructor(_name))


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def parse_template(text: str, file: str, *, json_format: bool = False) -> dict[str, Any]:
    """Parse template text; ``file`` is only used in error messages."""
    if json_format:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(file, f"line {exc.lineno}", f"invalid JSON: {exc.msg}") from exc
    else:
        try:
            data = yaml.load(text, Loader=_TemplateLoader)  # a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1}" if mark is not None else ""
            problem = exc.problem or exc.context or "cannot parse"
            raise TemplateError(file, where, f"invalid YAML: {problem}") from exc
        except yaml.YAMLError as exc:
            raise TemplateError(file, "", f"invalid YAML: {exc}") from exc
    if data is None:
        raise TemplateError(file, "", "the template is empty")
    if not isinstance(data, dict):
        raise TemplateError(file, "", "a template must be a mapping (Resources, Parameters, ...)")
    return data


def load_template(path: Path, file: str | None = None) -> dict[str, Any]:
    """Read and parse one template file; errors name ``file`` (default: the path)."""
    shown = file if file is not None else display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TemplateError(shown, "", "template file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(shown, "", f"cannot read the template: {exc}") from exc
    return parse_template(text, shown, json_format=path.suffix.lower() == ".json")


def read_local_document(template_file: Path, location: str, file: str, path: str) -> Any:
    """A document a template names by path (AWS::Include, DefinitionUri): YAML with
    CloudFormation tags, or JSON; relative to the template's directory."""
    if location.startswith(("s3://", "https://", "http://")) or "://" in location:
        raise TemplateError(
            file, path, f"{location} is not a local file; serverlite reads only local files"
        )
    target = (template_file.parent / location).resolve()
    if not target.is_file():
        raise TemplateError(file, path, f"file not found: {location}")
    return load_template(target, display_path(target))


_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def line_of(template: Any, path: str) -> int | None:
    """The line of the deepest key of ``path`` ("Resources.Fn.Properties.Layers[0]") found."""
    node = template
    line: int | None = None
    for match in _PATH_TOKEN.finditer(path):
        index, key = match.groups()
        if index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                break
            node = node[int(index)]
            if isinstance(node, LineDict):
                line = node.line
        else:
            if not isinstance(node, dict) or key not in node:
                break
            if isinstance(node, LineDict):
                line = node.key_lines.get(key, line)
            node = node[key]
    return line
