"""Every state type, both query languages, Retry / Catch, Map and Parallel, over the wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from tests.integration.stepfunctions.conftest import (
    FN,
    ROLE,
    finished,
    history,
    machine,
    output,
    run,
)

pytestmark = pytest.mark.integration


def test_pass_chain_and_its_history(sfn: Any) -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
            "B": {
                "Type": "Pass",
                "Parameters": {"sum.$": "States.MathAdd($.a.x, $.n)", "name.$": "$$.State.Name"},
                "OutputPath": "$",
                "End": True,
            },
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, name="one", input='{"n": 41}')
    assert started["executionArn"].endswith(":execution:" + arn.split(":")[-1] + ":one")
    described = finished(sfn, started["executionArn"])
    assert output(described) == {"sum": 42, "name": "B"}
    events = history(sfn, started["executionArn"])
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e["previousEventId"] for e in events] == [0, 1, 2, 3, 4, 5]
    assert events[1]["stateEnteredEventDetails"] == {
        "name": "A",
        "input": '{"n":41}',
        "inputDetails": {"truncated": False},
    }


def test_choice_operators(sfn: Any) -> None:
    rules = [
        {
            "And": [
                {"Variable": "$.s", "StringEquals": "abc"},
                {"Variable": "$.s", "StringMatches": "a*c"},
                {"Variable": "$.n", "NumericGreaterThanPath": "$.m"},
                {"Variable": "$.n", "NumericLessThanEquals": 10},
                {"Variable": "$.b", "BooleanEquals": True},
                {"Variable": "$.t", "TimestampGreaterThan": "2020-01-01T00:00:00Z"},
                {"Variable": "$.missing", "IsPresent": False},
                {"Variable": "$.z", "IsNull": True},
                {"Variable": "$.s", "IsString": True},
                {"Not": {"Variable": "$.n", "IsBoolean": True}},
                {
                    "Or": [
                        {"Variable": "$.s", "StringLessThan": "a"},
                        {"Variable": "$.n", "NumericEquals": 5},
                    ]
                },
            ],
            "Next": "Yes",
        }
    ]
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": rules, "Default": "No"},
            "Yes": {"Type": "Pass", "Result": "yes", "End": True},
            "No": {"Type": "Pass", "Result": "no", "End": True},
        },
    }
    arn = machine(sfn, definition)
    good = {"s": "abc", "n": 5, "m": 1, "b": True, "t": "2024-05-01T10:00:00Z", "z": None}
    for value, expected in ((good, "yes"), ({**good, "n": 11}, "no"), ({**good, "b": "x"}, "no")):
        started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(value))
        assert output(finished(sfn, started["executionArn"])) == expected


def test_choice_without_a_match_fails_with_no_choice_matched(sfn: Any) -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "E"}],
            },
            "E": {"Type": "Succeed"},
        },
    }
    described = run(sfn, definition, {"n": 2})
    assert (described["status"], described["error"]) == ("FAILED", "States.NoChoiceMatched")


def test_wait_on_the_scaled_clock_and_fail_state(sfn: Any) -> None:
    definition = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "T"},
            "T": {"Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", "Next": "F"},
            "F": {
                "Type": "Fail",
                "ErrorPath": "$.code",
                "CausePath": "States.Format('waited {}', $.wait)",
            },
        },
    }
    described = run(sfn, definition, {"wait": 5, "code": "Custom.Error"})  # 5 s at 100x
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Custom.Error", "waited 5")


def test_a_missing_path_is_states_runtime_in_aws_words(sfn: Any) -> None:
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"a.$": "$.nope"}, "End": True}},
    }
    described = run(sfn, definition, {"x": 1})
    assert described["error"] == "States.Runtime"
    assert described["cause"] == (
        "An error occurred while executing the state 'P' (entered at the event id #2). The "
        "JSONPath '$.nope' specified for the field 'a.$' could not be found in the input "
        "'{\"x\":1}'"
    )


def test_intrinsic_functions(sfn: Any) -> None:
    parameters = {
        "format.$": "States.Format('{} and \\{\\}', $.name)",
        "json.$": "States.StringToJson($.text)",
        "text.$": "States.JsonToString($.obj)",
        "array.$": "States.Array(1, 'two', $.name)",
        "parts.$": "States.ArrayPartition(States.ArrayRange(1, 5, 1), 2)",
        "contains.$": "States.ArrayContains($.list, 2)",
        "item.$": "States.ArrayGetItem($.list, 1)",
        "length.$": "States.ArrayLength($.list)",
        "unique.$": "States.ArrayUnique($.dupes)",
        "b64.$": "States.Base64Encode($.name)",
        "plain.$": "States.Base64Decode('aGk=')",
        "hash.$": "States.Hash($.name, 'SHA-256')",
        "merged.$": "States.JsonMerge($.obj, $.more, false)",
        "random.$": "States.MathRandom(1, 2)",
        "split.$": "States.StringSplit('a,b;c', ',;')",
        "uuid.$": "States.UUID()",
    }
    value = {
        "name": "ann",
        "text": '{"k":[1]}',
        "obj": {"a": 1},
        "more": {"b": 2},
        "list": [1, 2, 3],
        "dupes": [1, 1, {"x": 1}, {"x": 1}],
    }
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}},
    }
    result = output(run(sfn, definition, value))
    assert result["format"] == "ann and {}"
    assert result["json"] == {"k": [1]}
    assert result["text"] == '{"a":1}'
    assert result["array"] == [1, "two", "ann"]
    assert result["parts"] == [[1, 2], [3, 4], [5]]
    assert (result["contains"], result["item"], result["length"]) == (True, 2, 3)
    assert result["unique"] == [1, {"x": 1}]
    assert (result["b64"], result["plain"]) == ("YW5u", "hi")
    assert result["hash"] == "49915e0d7d4b402e3017d010bc1c0e83cac6c797d6c16e66340fe3268693a6a1"
    assert result["merged"] == {"a": 1, "b": 2}
    assert result["random"] == 1
    assert result["split"] == ["a", "b", "c"]
    assert len(result["uuid"]) == 36


def test_jsonata_arguments_output_assign_and_variables(sfn: Any) -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Keep",
        "States": {
            "Keep": {
                "Type": "Pass",
                "Assign": {
                    "total": "{% $sum($states.input.prices) %}",
                    "who": "{% $states.input.who %}",
                },
                "Next": "Call",
            },
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "sfn-double", "Payload": {"n": "{% $total %}"}},
                "Output": "{% {'doubled': $states.result.Payload.doubled, 'who': $who} %}",
                "Next": "Decide",
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.doubled > 10 %}", "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Succeed", "Output": "{% $merge([$states.input, {'size': 'big'}]) %}"},
            "Small": {
                "Type": "Fail",
                "Error": "TooSmall",
                "Cause": "{% 'only ' & $string($states.input.doubled) %}",
            },
        },
    }
    result = output(run(sfn, definition, {"prices": [2, 4], "who": "ann"}))
    assert result == {"doubled": 12, "who": "ann", "size": "big"}
    small = run(sfn, definition, {"prices": [1, 2], "who": "bo"})
    assert (small["error"], small["cause"]) == ("TooSmall", "only 6")


def test_lambda_tasks_both_resource_forms(sfn: Any) -> None:
    definition = {
        "StartAt": "Plain",
        "States": {
            "Plain": {
                "Type": "Task",
                "Resource": FN + "sfn-echo",
                "ResultPath": "$.plain",
                "Next": "Optimized",
            },
            "Optimized": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "sfn-echo", "Payload": {"from.$": "$.plain.echo.n"}},
                "ResultSelector": {"payload.$": "$.Payload", "code.$": "$.StatusCode"},
                "End": True,
            },
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, input='{"n": 7}')
    described = finished(sfn, started["executionArn"])
    assert output(described) == {"payload": {"echo": {"from": 7}}, "code": 200}
    types = [e["type"] for e in history(sfn, started["executionArn"])]
    assert types[2:5] == [
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
    ]
    assert types[7:10] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]


def test_retry_with_backoff_then_success(sfn: Any, markers: Path) -> None:
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": FN + "sfn-flaky",
                "Retry": [
                    {"ErrorEquals": ["ValueError"], "MaxAttempts": 5},
                    {
                        "ErrorEquals": ["TimeoutError"],
                        "IntervalSeconds": 1,
                        "BackoffRate": 2,
                        "MaxAttempts": 3,
                        "MaxDelaySeconds": 2,
                        "JitterStrategy": "FULL",
                    },
                ],
                "End": True,
            }
        },
    }
    described = run(sfn, definition, {"id": "retry-1", "fail_times": 2})
    assert output(described) == {"attempts": 3}
    assert len((markers / "retry-1.calls").read_text().splitlines()) == 3


def test_retries_spent_then_catch_with_result_path(sfn: Any) -> None:
    definition = {
        "StartAt": "Reserve",
        "States": {
            "Reserve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "sfn-fail", "Payload.$": "$"},
                "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}],
                "Catch": [
                    {"ErrorEquals": ["OutOfStock"], "ResultPath": "$.error", "Next": "Compensate"}
                ],
                "End": True,
            },
            "Compensate": {"Type": "Pass", "End": True},
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, input='{"sku": "X1"}')
    result = output(finished(sfn, started["executionArn"]))
    assert result["sku"] == "X1"
    assert result["error"]["Error"] == "OutOfStock"
    assert json.loads(result["error"]["Cause"])["errorMessage"] == "no stock for X1"
    failed = [e for e in history(sfn, started["executionArn"]) if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "OutOfStock"


def branch(result: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}


def test_parallel_branches_and_a_failing_branch(sfn: Any) -> None:
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [branch(1), branch({"two": 2})],
                "ResultSelector": {"first.$": "$[0]", "second.$": "$[1].two"},
                "End": True,
            }
        },
    }
    assert output(run(sfn, definition)) == {"first": 1, "second": 2}
    failing = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    branch(1),
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Branch.Broke"}}},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    assert output(run(sfn, failing)) == {"Error": "Branch.Broke", "Cause": ""}


def test_map_inline_with_selector_concurrency_and_tolerated_failures(sfn: Any) -> None:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.orders",
                "MaxConcurrency": 2,
                "ItemSelector": {"n.$": "$$.Map.Item.Value.qty", "index.$": "$$.Map.Item.Index"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Call",
                    "States": {
                        "Call": {"Type": "Task", "Resource": FN + "sfn-double", "End": True}
                    },
                },
                "End": True,
            }
        },
    }
    result = output(run(sfn, definition, {"orders": [{"qty": 1}, {"qty": 2}, {"qty": 3}]}))
    assert result == [{"doubled": 2}, {"doubled": 4}, {"doubled": 6}]
    tolerant = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ToleratedFailureCount": 1,
                "ItemProcessor": {
                    "StartAt": "C",
                    "States": {
                        "C": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Bad"}],
                            "Default": "Good",
                        },
                        "Bad": {"Type": "Fail", "Error": "Zero"},
                        "Good": {"Type": "Succeed"},
                    },
                },
                "End": True,
            }
        },
    }
    assert output(run(sfn, tolerant, [1, 0, 2])) == [1, {"Error": "Zero", "Cause": ""}, 2]
    over = run(sfn, tolerant, [0, 0, 2])
    assert over["error"] == "States.ExceedToleratedFailureThreshold"


def test_distributed_map_with_batches(sfn: Any) -> None:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemBatcher": {"MaxItemsPerBatch": 2},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Count",
                    "States": {
                        "Count": {
                            "Type": "Pass",
                            "Parameters": {"n.$": "States.ArrayLength($.Items)"},
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, input="[1,2,3,4,5]")
    assert output(finished(sfn, started["executionArn"])) == [{"n": 2}, {"n": 2}, {"n": 1}]
    types = {e["type"] for e in history(sfn, started["executionArn"])}
    assert {"MapRunStarted", "MapRunSucceeded"} <= types


def test_invalid_definitions_are_refused_in_aws_words(sfn: Any) -> None:
    bad = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "Nowhere"}, "B": {"Type": "Pass", "End": True}},
    }
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.create_state_machine(name="bad", definition=json.dumps(bad), roleArn=ROLE)
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"] == (
        "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' target: "
        'Nowhere at /States/A/Next, MISSING_TRANSITION_TARGET: State "B" is not reachable. '
        "at /States/B'"
    )
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.create_state_machine(
            name="bad2",
            definition=json.dumps({"StartAt": "A", "States": {"A": {"Next": "A"}}}),
            roleArn=ROLE,
        )
    assert 'SCHEMA_VALIDATION_FAILED: The field "Type" is required at /States/A' in str(
        raised.value
    )
