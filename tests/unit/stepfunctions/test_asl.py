"""The Amazon States Language pieces, without I/O: JSONPath, intrinsics, Choice rules,
payload templates, Retry / Catch matching, validation, resources."""

from __future__ import annotations

import pytest

from serverlite.aws.stepfunctions.asl import (
    choice,
    errors,
    intrinsics,
    jsonata_eval,
    jsonpath,
    payload,
    resources,
    retry,
    validate,
)
from serverlite.aws.stepfunctions.asl.dialect import StateIo
from serverlite.aws.stepfunctions.asl.errors import StatesError

DOC = {"a": {"b": [1, 2, 3], "c": "x"}, "items": [{"p": 5, "n": "u"}, {"p": 15, "n": "v"}]}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DOC),
        ("$.a.c", "x"),
        ("$['a']['b'][1]", 2),
        ("$.a.b[-1]", 3),
        ("$.a.b[*]", [1, 2, 3]),
        ("$.a.b[0:2]", [1, 2]),
        ("$.a.b[0,2]", [1, 3]),
        ("$..n", ["u", "v"]),
        ("$.items[?(@.p > 10)].n", ["v"]),
        ("$.items[?(@.n == 'u')].p", [5]),
    ],
)
def test_jsonpath_reads(path: str, expected: object) -> None:
    assert jsonpath.read(DOC, path) == expected


def test_a_definite_path_that_finds_nothing_raises() -> None:
    with pytest.raises(jsonpath.NoMatch):
        jsonpath.read(DOC, "$.a.zz")
    assert jsonpath.read(DOC, "$.items[?(@.p > 100)]") == []


def test_result_path_puts_creating_objects_and_refuses_scalars() -> None:
    assert jsonpath.put({"x": 1}, "$.r.s", 2) == {"x": 1, "r": {"s": 2}}
    assert jsonpath.put({"x": 1}, "$", 2) == 2
    with pytest.raises(jsonpath.NoMatch):
        jsonpath.put({"x": 1}, "$.x.y", 2)
    with pytest.raises(StatesError) as raised:
        payload.merge_result("text", 1, "$.r")
    assert raised.value.error == errors.RESULT_PATH_MATCH


def test_payload_template_reads_input_context_variables_and_intrinsics() -> None:
    scope = payload.Scope({"n": 2}, {"State": {"Name": "S"}}, {"v": {"k": 9}})
    template = {
        "n.$": "$.n",
        "state.$": "$$.State.Name",
        "var.$": "$v.k",
        "f.$": "States.Format('{}-{}', $.n, $v.k)",
        "nested": [{"keep": "$.n"}],
    }
    assert payload.template(template, scope) == {
        "n": 2,
        "state": "S",
        "var": 9,
        "f": "2-9",
        "nested": [{"keep": "$.n"}],
    }


def test_intrinsic_errors_are_intrinsic_failures() -> None:
    with pytest.raises(StatesError) as raised:
        intrinsics.evaluate("States.Format('{} {}', 1)", lambda p: None)
    assert raised.value.error == errors.INTRINSIC
    with pytest.raises(StatesError):
        intrinsics.evaluate("States.ArrayRange(1, 2000, 1)", lambda p: None)
    assert intrinsics.evaluate("States.ArrayRange(5, 1, -2)", lambda p: None) == [5, 3, 1]
    assert intrinsics.evaluate("States.MathRandom(1, 100, 7)", lambda p: None) == (
        intrinsics.evaluate("States.MathRandom(1, 100, 7)", lambda p: None)
    )


def test_choice_compares_only_like_types() -> None:
    scope = payload.Scope({"n": "5", "t": "2024-01-01T00:00:00Z"}, {})
    assert not choice.evaluate({"Variable": "$.n", "NumericEquals": 5, "Next": "X"}, scope)
    assert choice.evaluate({"Variable": "$.n", "StringEquals": "5", "Next": "X"}, scope)
    assert choice.evaluate(
        {"Variable": "$.t", "TimestampLessThan": "2024-01-01T00:00:01+00:00", "Next": "X"}, scope
    )
    with pytest.raises(StatesError) as raised:
        choice.evaluate({"Variable": "$.gone", "IsNull": True, "Next": "X"}, scope)
    assert raised.value.error == errors.RUNTIME


def test_string_matches_wildcards_and_escapes() -> None:
    assert choice.string_matches("log-2024.txt", "log-*.txt")
    assert choice.string_matches("a*b", "a\\*b")
    assert not choice.string_matches("axb", "a\\*b")


def test_error_matching_follows_aws_wildcards() -> None:
    assert errors.matches(["States.ALL"], "Custom")
    assert not errors.matches(["States.ALL"], errors.RUNTIME)
    assert errors.matches(["States.TaskFailed"], "Lambda.Unknown")
    assert not errors.matches(["States.TaskFailed"], errors.TIMEOUT)


def test_retry_backoff_cap_and_exhaustion() -> None:
    retriers = [
        {
            "ErrorEquals": ["E"],
            "IntervalSeconds": 2,
            "BackoffRate": 3,
            "MaxAttempts": 3,
            "MaxDelaySeconds": 10,
        }
    ]
    assert retry.retry_delay(retriers, [0], "E") == (0, 2.0)
    assert retry.retry_delay(retriers, [1], "E") == (0, 6.0)
    assert retry.retry_delay(retriers, [2], "E") == (0, 10.0)
    assert retry.retry_delay(retriers, [3], "E") is None
    assert retry.retry_delay(retriers, [0], "Other") is None
    jitter = [{"ErrorEquals": ["E"], "IntervalSeconds": 4, "JitterStrategy": "FULL"}]
    decided = retry.retry_delay(jitter, [0], "E")
    assert decided is not None and 0 <= decided[1] <= 4


def test_jsonata_binds_states_and_variables() -> None:
    states = {"input": {"a": [1, 2]}, "context": {}}
    assert jsonata_eval.resolve(
        {"s": "{% $sum($states.input.a) + $v %}", "k": "text"}, states, {"v": 3}
    ) == {
        "s": 6,
        "k": "text",
    }
    assert jsonata_eval.evaluate("{% $partition([1,2,3], 2) %}", states, {}) == [[1, 2], [3]]
    assert jsonata_eval.evaluate("{% $range(1, 5, 2) %}", states, {}) == [1, 3, 5]
    assert jsonata_eval.evaluate("{% $parse('{\"a\":1}').a %}", states, {}) == 1
    assert len(jsonata_eval.evaluate("{% $uuid() %}", states, {})) == 36
    with pytest.raises(StatesError) as raised:
        jsonata_eval.evaluate("{% $notafunction( %}", states, {})
    assert raised.value.error == errors.QUERY_EVALUATION


def test_validation_reports_every_problem_with_its_location() -> None:
    with pytest.raises(validate.InvalidDefinition) as raised:
        validate.parse(
            '{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "x", "Next": "B", '
            '"End": true, "Bogus": 1}, "B": {"Type": "Wait", "End": true}}}'
        )
    problems = raised.value.problems
    assert "SCHEMA_VALIDATION_FAILED: Field 'Bogus' is not supported at /States/A" in problems
    assert (
        "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/A/Resource"
        in problems
    )
    assert any(p.endswith("at /States/B") and "Wait" in p for p in problems)
    with pytest.raises(validate.InvalidDefinition) as raised:
        validate.parse("{not json")
    assert raised.value.problems[0].startswith("INVALID_JSON_DESCRIPTION")


def test_jsonpath_only_fields_are_refused_in_jsonata() -> None:
    with pytest.raises(validate.InvalidDefinition) as raised:
        validate.parse(
            '{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", '
            '"InputPath": "$.x", "End": true}}}'
        )
    assert "not supported by JSONata" in str(raised.value)


def test_resources_name_their_integration_and_pattern() -> None:
    plain = resources.parse("arn:aws:lambda:us-east-1:1:function:f")
    assert plain.function
    token = resources.parse("arn:aws:states:::lambda:invoke.waitForTaskToken")
    assert (token.resource_type, token.resource_name, token.pattern) == (
        "lambda",
        "invoke.waitForTaskToken",
        "token",
    )
    sdk = resources.parse("arn:aws:states:::aws-sdk:dynamodb:getItem")
    assert (sdk.resource_type, sdk.action) == ("aws-sdk:dynamodb", "getItem")
    nested = resources.parse("arn:aws:states:::states:startExecution.sync:2")
    assert (nested.service, nested.pattern) == ("states", "sync2")


def test_states_without_a_result_pass_on_their_input_path_then_output_path() -> None:
    state = {"Type": "Wait", "InputPath": "$.a", "OutputPath": "$.b", "Seconds": 1, "End": True}
    io = StateIo(state, "JSONPath", {"a": {"b": 7}, "c": 1}, {}, {})
    assert io.output() == (7, {})


def test_a_task_result_goes_through_selector_result_path_and_output_path() -> None:
    state = {
        "Type": "Task",
        "ResultSelector": {"v.$": "$.Payload"},
        "ResultPath": "$.r",
        "OutputPath": "$.r",
        "Assign": {"kept.$": "$.v"},
    }
    io = StateIo(state, "JSONPath", {"in": 1}, {}, {})
    assert io.output({"Payload": 3}) == ({"v": 3}, {"kept": 3})
