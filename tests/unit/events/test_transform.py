"""Input, InputPath and InputTransformer, with the EventBridge User Guide's examples."""

import json

import pytest

from serverlite.aws.events.targets import render, transformer_of
from serverlite.aws.events.transform import (
    InputTransformer,
    TransformContext,
    TransformError,
    parse_path,
    select_input_path,
)

EVENT = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "n": 3, "tags": ["a", "b"]},
}
CONTEXT = TransformContext(
    rule_arn="arn:aws:events:us-east-2:123456789012:rule/example",
    rule_name="example",
    ingestion_time="2015-11-11T21:29:55Z",
)
PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}


def transform(template, paths=PATHS):
    return InputTransformer.parse({"InputPathsMap": paths, "InputTemplate": template}).apply(
        EVENT, CONTEXT
    )


# The User Guide's table: template -> output.
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
        (
            '"instance \\"<instance>\\" is in <state>"',
            '"instance \\"i-0123456789\\" is in RUNNING"',
        ),
        (
            '{\n  "instance" : <instance>,\n  "state": <state>\n}',
            '{"instance":"i-0123456789","state":"RUNNING"}',
        ),
        (
            '{"instance" : <instance>, "state": "<state>", '
            '"instanceStatus": "instance \\"<instance>\\" is in <state>"}',
            '{"instance":"i-0123456789","state":"RUNNING",'
            '"instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}',
        ),
        (
            '{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}',
            '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}',
        ),
        ('"<aws.events.rule-name> triggered"', '"example triggered"'),
        ("<instance> is in <state>", "i-0123456789 is in RUNNING"),  # text, not JSON
    ],
)
def test_user_guide_examples(template, expected):
    assert transform(template) == expected


def test_reserved_variables_in_json():
    out = json.loads(
        transform(
            '{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, '
            '"original": <aws.events.event>, "full": <aws.events.event.json>, '
            '"at": "<aws.events.event.ingestion-time>"}'
        )
    )
    assert out["ruleArn"] == CONTEXT.rule_arn
    assert out["ruleName"] == "example"
    assert out["at"] == "2015-11-11T21:29:55Z"
    assert "detail" not in out["original"]  # aws.events.event: the event without detail
    assert out["original"]["id"] == EVENT["id"]
    assert out["full"] == EVENT  # aws.events.event.json: the whole event


def test_values_keep_their_json_types_outside_quotes():
    out = transform(
        '{"n": <n>, "tags": <tags>, "detail": <d>}',
        {"n": "$.detail.n", "tags": "$.detail.tags", "d": "$.detail"},
    )
    assert json.loads(out) == {"n": 3, "tags": ["a", "b"], "detail": EVENT["detail"]}


def test_values_inside_quotes_are_not_escaped():
    out = transform('{"s": "n=<n> tags=<tags>"}', {"n": "$.detail.n", "tags": "$.detail.tags"})
    # AWS does not escape them, so the result is not JSON: it is sent as it is
    assert out == '{"s": "n=3 tags=["a","b"]"}'


def test_a_missing_path_defines_no_value():
    assert transform('{"x": <nope>, "y": "<nope>"}', {"nope": "$.detail.missing"}) == (
        '{"x":null,"y":""}'
    )
    assert transform("[<nope>]", {"nope": "$.nothing"}) == "[null]"
    assert transform("value: <nope>.", {"nope": "$.nothing"}) == "value: ."


def test_unknown_placeholders_are_left_as_written():
    assert transform("<html> <state>") == "<html> RUNNING"


def test_placeholder_as_key_is_refused():
    with pytest.raises(TransformError):
        InputTransformer.parse({"InputPathsMap": PATHS, "InputTemplate": "{<state>: 1}"})


@pytest.mark.parametrize(
    "value",
    [
        {"InputPathsMap": PATHS},
        {"InputTemplate": ""},
        {"InputPathsMap": {"aws.events.rule-name": "$.x"}, "InputTemplate": "x"},
        {"InputPathsMap": {"bad key": "$.x"}, "InputTemplate": "x"},
        {"InputPathsMap": {"k": "detail.x"}, "InputTemplate": "x"},
        {"InputPathsMap": {f"k{i}": "$.x" for i in range(101)}, "InputTemplate": "x"},
    ],
)
def test_invalid_transformers(value):
    with pytest.raises(TransformError):
        InputTransformer.parse(value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", EVENT),
        ("$.detail", EVENT["detail"]),
        ("$.detail.state", "RUNNING"),
        ("$.detail.tags[1]", "b"),
        ("$.detail.tags[*]", ["a", "b"]),
        ("$.resources[0]", EVENT["resources"][0]),
        ("$.detail.missing", None),
        ("$.detail.tags[5]", None),
    ],
)
def test_input_path(path, expected):
    assert json.loads(select_input_path(EVENT, path)) == expected


def test_bad_json_paths():
    for path in ("detail", "$detail", "$..detail", "$.a[x]"):
        with pytest.raises(TransformError):
            parse_path(path)


def test_render_chooses_input_inputpath_transformer_or_the_event():
    text = json.dumps(EVENT)
    assert render({"Input": '{"fixed": 1}'}, None, text, None, CONTEXT) == '{"fixed": 1}'
    assert render({"InputPath": "$.detail.state"}, None, text, None, CONTEXT) == '"RUNNING"'
    spec = {"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": "<state>"}}
    assert render(spec, transformer_of(spec), text, None, CONTEXT) == "RUNNING"
    assert render({}, None, text, None, CONTEXT) == text
