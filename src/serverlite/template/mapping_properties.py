"""What every event source mapping declares alike, read from a template (or from a
CreateEventSourceMapping body) as Lambda checks it: integer settings given as template
strings or numbers, and FilterCriteria (at most five patterns, in EventBridge's pattern
language). The SQS mapping (``aws/sqs/mapping``) and the stream mappings
(``aws/stream_mappings``) each add their own source's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .intrinsics import to_cfn_string
from .model import Application

if TYPE_CHECKING:
    from serverlite.patterns import Pattern

RESOURCE_TYPE = "AWS::Lambda::EventSourceMapping"
MAX_FILTERS = 5  # Lambda's quota: five filters per event source mapping
Fail = Callable[[str, str], Exception]  # (property, message) -> the error to raise


def template_file(app: Application, stack_path: tuple[str, ...]) -> str:
    """The file that declares a resource of the stack at ``stack_path`` (for messages)."""
    stack = next(s for s in app.root.walk() if s.path == stack_path)
    return str(stack.template_file)


def integer(props: Mapping[str, Any], name: str, default: int, fail: Fail) -> int:
    value = props.get(name)
    if value is None:
        return default
    try:
        return int(str(to_cfn_string(value)))
    except ValueError as exc:
        raise fail(name, f"must be an integer, got {value!r}") from exc


def filter_criteria(criteria: Any, fail: Fail) -> tuple[Pattern, ...]:
    if criteria is None:
        return ()
    # The pattern language is imported by a template that filters, not by every start.
    from serverlite.patterns import PatternError, compile_pattern

    filters = criteria.get("Filters") if isinstance(criteria, Mapping) else None
    if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
        raise fail("FilterCriteria", f"needs Filters: a list of 1 to {MAX_FILTERS} patterns")
    patterns = []
    for index, item in enumerate(filters):
        pattern = item.get("Pattern") if isinstance(item, Mapping) else None
        try:
            patterns.append(compile_pattern(pattern if isinstance(pattern, str | dict) else ""))
        except PatternError as exc:
            raise fail(f"FilterCriteria.Filters[{index}].Pattern", str(exc)) from exc
    return tuple(patterns)
