"""Definitions checked when a state machine is created, as Step Functions checks them.

Every problem is one ``CODE: text at /path`` item and AWS joins them into one message:
``Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field "Type" is
required at /States/A, MISSING_TRANSITION_TARGET: Missing 'Next' target: B at
/States/A/Next'``. The codes are AWS's: INVALID_JSON_DESCRIPTION,
SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, UNREACHABLE_STATE (worded as AWS
words it, under MISSING_TRANSITION_TARGET), INVALID_JSONPATH, INVALID_JSONATA.
"""

from __future__ import annotations

import json
from typing import Any

from . import choice, intrinsics, jsonata_eval, jsonpath

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_COMMON = {"Type", "Comment", "QueryLanguage"}
_JSONPATH_IO = {"InputPath", "OutputPath"}
_JSONPATH_RESULT = {"Parameters", "ResultSelector", "ResultPath"}
_JSONATA = {"Arguments", "Output"}
_FLOW = {"Next", "End"}
_ERRORS = {"Retry", "Catch"}
FIELDS: dict[str, set[str]] = {
    "Pass": _COMMON
    | _FLOW
    | _JSONPATH_IO
    | {"Result", "ResultPath", "Parameters", "Assign"}
    | {"Output"},
    "Task": _COMMON
    | _FLOW
    | _ERRORS
    | _JSONPATH_IO
    | _JSONPATH_RESULT
    | _JSONATA
    | {"Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds"}
    | {"HeartbeatSecondsPath", "Assign", "Credentials"},
    "Choice": _COMMON | _JSONPATH_IO | {"Choices", "Default", "Assign", "Output"},
    "Wait": _COMMON
    | _FLOW
    | _JSONPATH_IO
    | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign", "Output"},
    "Succeed": _COMMON | _JSONPATH_IO | {"Output"},
    "Fail": _COMMON | {"Error", "Cause", "ErrorPath", "CausePath"},
    "Parallel": _COMMON
    | _FLOW
    | _ERRORS
    | _JSONPATH_IO
    | _JSONPATH_RESULT
    | _JSONATA
    | {"Branches", "Assign"},
    "Map": _COMMON
    | _FLOW
    | _ERRORS
    | _JSONPATH_IO
    | _JSONPATH_RESULT
    | _JSONATA
    | {"ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector", "ItemReader"}
    | {"ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "Label"}
    | {"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}
    | {"ToleratedFailureCount", "ToleratedFailureCountPath", "Assign"},
}
_ONLY_JSONPATH = _JSONPATH_IO | _JSONPATH_RESULT | {
    "ItemsPath", "ItemSelector", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "MaxConcurrencyPath", "Iterator",
    "ToleratedFailurePercentagePath", "ToleratedFailureCountPath", "Result",
}  # fmt: skip
_ONLY_JSONATA = _JSONATA | {"Items"}
_TOP = {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}
_RETRY = {
    "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
    "JitterStrategy", "Comment",
}  # fmt: skip
_CATCH = {"ErrorEquals", "Next", "ResultPath", "Assign", "Output", "Comment"}
_PREFIX = "Invalid State Machine Definition: "


class InvalidDefinition(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(_PREFIX + "'" + ", ".join(problems) + "'")
        self.problems = problems


def parse(text: str) -> dict[str, Any]:
    """The definition as an object, checked whole; raises ``InvalidDefinition``."""
    try:
        definition = json.loads(text)
    except ValueError as exc:
        raise InvalidDefinition([f"INVALID_JSON_DESCRIPTION: {exc}"]) from exc
    if not isinstance(definition, dict):
        raise InvalidDefinition(["SCHEMA_VALIDATION_FAILED: Expected an object at /"])
    problems: list[str] = []
    _machine(definition, "", definition.get("QueryLanguage", "JSONPath"), problems, top=True)
    if problems:
        raise InvalidDefinition(problems)
    return definition


def _schema(problems: list[str], text: str, where: str) -> None:
    problems.append(f"SCHEMA_VALIDATION_FAILED: {text} at {where or '/'}")


def _machine(
    machine: dict[str, Any], where: str, language: str, problems: list[str], *, top: bool
) -> None:
    allowed = _TOP if top else {"Comment", "StartAt", "States", "ProcessorConfig"}
    for name in machine:
        if name not in allowed:
            _schema(problems, f"Field '{name}' is not supported", where)
    language = machine.get("QueryLanguage", language)
    if language not in ("JSONPath", "JSONata"):
        _schema(problems, "Value is not one of [JSONPath, JSONata]", f"{where}/QueryLanguage")
    missing = [f for f in ("StartAt", "States") if f not in machine]
    if missing:
        _schema(problems, f"These fields are required: [{', '.join(missing)}]", where)
        return
    states = machine["States"]
    if not isinstance(states, dict) or not states:
        _schema(problems, "The field 'States' must be a non-empty object", f"{where}/States")
        return
    if machine["StartAt"] not in states:
        problems.append(
            f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {machine['StartAt']} "
            f"at {where}/StartAt"
        )
    for name, state in states.items():
        at = f"{where}/States/{name}"
        if len(name) > 80:
            _schema(problems, "State names must be 80 characters or fewer", at)
        if not isinstance(state, dict):
            _schema(problems, "Expected an object", at)
            continue
        _state(name, state, at, language, states, problems)
    _reachability(machine, where, problems)


def _state(
    name: str,
    state: dict[str, Any],
    at: str,
    language: str,
    states: dict[str, Any],
    problems: list[str],
) -> None:
    kind = state.get("Type")
    if kind is None:
        _schema(problems, 'The field "Type" is required', at)
        return
    if kind not in STATE_TYPES:
        _schema(problems, f"Value is not one of [{', '.join(STATE_TYPES)}]", f"{at}/Type")
        return
    own = state.get("QueryLanguage", language)
    if language == "JSONata" and own == "JSONPath":
        _schema(
            problems,
            "A state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
            f"{at}/QueryLanguage",
        )
    for field in state:
        if field not in FIELDS[kind]:
            _schema(problems, f"Field '{field}' is not supported", at)
        elif own == "JSONata" and field in _ONLY_JSONPATH:
            _schema(problems, f"The field '{field}' is not supported by JSONata", at)
        elif own == "JSONPath" and field in _ONLY_JSONATA:
            _schema(problems, f"The field '{field}' is supported only by JSONata", at)
    _flow(kind, state, at, states, problems)
    if own == "JSONPath":
        _paths(state, at, problems)
    else:
        _expressions(state, at, problems)
    if kind == "Task" and not isinstance(state.get("Resource"), str):
        _schema(problems, 'The field "Resource" is required', at)
    elif kind == "Task" and not str(state["Resource"]).startswith("arn:"):
        _schema(problems, "Value is not a valid resource ARN", f"{at}/Resource")
    if kind == "Choice":
        _choices(state, at, own, states, problems)
    if kind == "Wait":
        given = [f for f in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if f in state]
        if len(given) != 1:
            _schema(
                problems,
                "A Wait state must have exactly one of Seconds, Timestamp, SecondsPath, "
                "TimestampPath",
                at,
            )
    if kind == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            _schema(problems, 'The field "Branches" is required', at)
        else:
            for index, branch in enumerate(branches):
                _sub_machine(branch, f"{at}/Branches[{index}]", own, problems)
    if kind == "Map":
        processor = state.get("ItemProcessor", state.get("Iterator"))
        if processor is None:
            _schema(problems, 'The field "ItemProcessor" is required', at)
        else:
            field = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
            _sub_machine(processor, f"{at}/{field}", own, problems)
    for index, retrier in enumerate(state.get("Retry") or ()):
        _retrier(retrier, f"{at}/Retry[{index}]", problems)
    for index, catcher in enumerate(state.get("Catch") or ()):
        _catcher(catcher, f"{at}/Catch[{index}]", states, problems)


def _sub_machine(machine: Any, at: str, language: str, problems: list[str]) -> None:
    if not isinstance(machine, dict):
        _schema(problems, "Expected an object", at)
        return
    _machine(machine, at, language, problems, top=False)


def _flow(
    kind: str, state: dict[str, Any], at: str, states: dict[str, Any], problems: list[str]
) -> None:
    if kind in ("Choice", "Succeed", "Fail"):
        for field in ("Next", "End"):
            if field in state and field not in FIELDS[kind]:
                return  # already said: not supported
        return
    has_next, has_end = "Next" in state, state.get("End") is True
    if has_next == has_end:
        _schema(problems, "Exactly one of 'Next' or 'End' must be present", at)
    if has_next and state["Next"] not in states:
        problems.append(
            f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {state['Next']} at {at}/Next"
        )


def _choices(
    state: dict[str, Any], at: str, language: str, states: dict[str, Any], problems: list[str]
) -> None:
    rules = state.get("Choices")
    if not isinstance(rules, list) or not rules:
        _schema(problems, 'The field "Choices" is required', at)
        return
    for index, rule in enumerate(rules):
        where = f"{at}/Choices[{index}]"
        if not isinstance(rule, dict):
            _schema(problems, "Expected an object", where)
            continue
        if rule.get("Next") not in states:
            problems.append(
                f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {rule.get('Next')} "
                f"at {where}/Next"
            )
        if language == "JSONata":
            if not jsonata_eval.is_expression(rule.get("Condition")) and not isinstance(
                rule.get("Condition"), bool
            ):
                _schema(problems, 'The field "Condition" is required', where)
        else:
            _rule(rule, where, problems)
    if "Default" in state and state["Default"] not in states:
        problems.append(
            f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {state['Default']} at {at}/Default"
        )


def _rule(rule: dict[str, Any], where: str, problems: list[str]) -> None:
    for combinator in ("And", "Or"):
        if combinator in rule:
            subs = rule[combinator]
            if not isinstance(subs, list) or not subs:
                _schema(problems, f"'{combinator}' must be a non-empty array", where)
                return
            for index, sub in enumerate(subs):
                _rule(sub, f"{where}/{combinator}[{index}]", problems)
            return
    if "Not" in rule:
        if isinstance(rule["Not"], dict):
            _rule(rule["Not"], f"{where}/Not", problems)
        else:
            _schema(problems, "'Not' must be an object", where)
        return
    operators = [op for op in choice.OPERATORS if op in rule]
    if "Variable" not in rule or len(operators) != 1:
        _schema(
            problems,
            "A choice rule must have a 'Variable' and exactly one comparison operator",
            where,
        )
        return
    _path(rule["Variable"], f"{where}/Variable", problems)
    if operators[0].endswith("Path"):
        _path(rule[operators[0]], f"{where}/{operators[0]}", problems)


def _retrier(retrier: Any, at: str, problems: list[str]) -> None:
    if not isinstance(retrier, dict) or not isinstance(retrier.get("ErrorEquals"), list):
        _schema(problems, 'The field "ErrorEquals" is required', at)
        return
    for field in retrier:
        if field not in _RETRY:
            _schema(problems, f"Field '{field}' is not supported", at)
    if retrier.get("BackoffRate", 2.0) < 1.0:
        _schema(problems, "BackoffRate must be 1.0 or more", f"{at}/BackoffRate")
    if retrier.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
        _schema(problems, "Value is not one of [FULL, NONE]", f"{at}/JitterStrategy")
    if "States.ALL" in retrier["ErrorEquals"] and len(retrier["ErrorEquals"]) > 1:
        _schema(problems, "States.ALL must appear alone in ErrorEquals", f"{at}/ErrorEquals")


def _catcher(catcher: Any, at: str, states: dict[str, Any], problems: list[str]) -> None:
    if not isinstance(catcher, dict) or not isinstance(catcher.get("ErrorEquals"), list):
        _schema(problems, 'The field "ErrorEquals" is required', at)
        return
    for field in catcher:
        if field not in _CATCH:
            _schema(problems, f"Field '{field}' is not supported", at)
    if catcher.get("Next") not in states:
        problems.append(
            f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {catcher.get('Next')} at {at}/Next"
        )


_PATH_FIELDS = ("InputPath", "OutputPath", "ResultPath", "ItemsPath", "SecondsPath")
_PATH_FIELDS_2 = ("TimestampPath", "ErrorPath", "CausePath", "TimeoutSecondsPath")


def _paths(state: dict[str, Any], at: str, problems: list[str]) -> None:
    for field in (*_PATH_FIELDS, *_PATH_FIELDS_2, "HeartbeatSecondsPath"):
        value = state.get(field)
        if isinstance(value, str):
            if field in ("ErrorPath", "CausePath") and intrinsics.is_intrinsic(value):
                continue
            _path(value, f"{at}/{field}", problems)
    for field in ("Parameters", "ResultSelector", "ItemSelector"):
        _template(state.get(field), f"{at}/{field}", problems)


def _template(value: Any, at: str, problems: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(".$"):
                if not isinstance(item, str):
                    _schema(problems, "The value of a field ending in '.$' must be a string", at)
                elif intrinsics.is_intrinsic(item):
                    try:
                        intrinsics.parse(item)
                    except Exception as exc:
                        problems.append(f"SCHEMA_VALIDATION_FAILED: {exc} at {at}/{key}")
                else:
                    _path(item, f"{at}/{key}", problems)
            else:
                _template(item, f"{at}/{key}", problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _template(item, f"{at}[{index}]", problems)


def _path(value: Any, at: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        _schema(problems, "The value must be a JSONPath string", at)
        return
    text = value[1:] if value.startswith("$$") else value
    if text.startswith("$") and len(text) > 1 and text[1] not in ".[":
        end = 1
        while end < len(text) and text[end] not in ".[":
            end += 1
        text = "$" + text[end:]  # a variable: $name.field
    try:
        jsonpath.parse(text)
    except jsonpath.PathError:
        _schema(problems, "The value for the field must be a valid JSONPath", at)


def _expressions(value: Any, at: str, problems: list[str]) -> None:
    if jsonata_eval.is_expression(value):
        why = jsonata_eval.check(value)
        if why is not None:
            problems.append(f"SCHEMA_VALIDATION_FAILED: {why} at {at}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("Branches", "ItemProcessor", "Iterator", "Choices", "Catch"):
                _expressions(item, f"{at}/{key}", problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _expressions(item, f"{at}[{index}]", problems)


def _reachability(machine: dict[str, Any], where: str, problems: list[str]) -> None:
    states: dict[str, Any] = machine["States"]
    seen: set[str] = set()
    todo = [machine["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen or name not in states or not isinstance(states[name], dict):
            continue
        seen.add(name)
        todo.extend(successors(states[name]))
    for name in states:
        if name not in seen and machine["StartAt"] in states:
            problems.append(
                f'MISSING_TRANSITION_TARGET: State "{name}" is not reachable. '
                f"at {where}/States/{name}"
            )


def successors(state: dict[str, Any]) -> list[str]:
    found = [state["Next"]] if isinstance(state.get("Next"), str) else []
    if isinstance(state.get("Default"), str):
        found.append(state["Default"])
    for rule in state.get("Choices") or ():
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            found.append(rule["Next"])
    for catcher in state.get("Catch") or ():
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            found.append(catcher["Next"])
    return found
