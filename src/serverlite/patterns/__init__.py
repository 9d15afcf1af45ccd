"""The event pattern language of EventBridge rules, SNS filter policies and Lambda
event filtering (SQS FilterCriteria): one language, one matcher, used alike.

    pattern = compile_pattern('{"source": ["shop"], "detail": {"total": [{"numeric": [">", 0]}]}}')
    pattern.matches(event)        # event: a dict, or the event's JSON text

    matching    compiled patterns matched against events (arrays, exists, $or)
    syntax      reading and validating patterns (AWS's refusals and reasons)
    matchers    one leaf comparison each (prefix, numeric, cidr, wildcard, ...)
    wildcard    the wildcard operator: linear matching, AWS's complexity limit
    documents   events as read: parsed, dotted keys nested, walked without recursion

Everything here is linear in the event's size and never recurses on its depth: events
and patterns are user input matched on the event loop every port shares.

This package imports nothing from ``serverlite.aws``: the services depend on it,
never the other way round.
"""

from __future__ import annotations

from .documents import expand_dotted
from .matching import Pattern, compile_pattern, parse_event
from .syntax import PatternError

__all__ = ["Pattern", "PatternError", "compile_pattern", "expand_dotted", "parse_event"]
