"""The resolver against a fake scope: every intrinsic function."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest

from serverlite.errors import TemplateError
from serverlite.template.intrinsics import NO_VALUE, Resolver, is_intrinsic, to_cfn_string


class FakeScope:
    file = "template.yaml"
    region = "eu-west-1"

    def __init__(self) -> None:
        self.refs: dict[str, Any] = {
            "Stage": "prod",
            "Count": "3",
            "Subnets": ["subnet-a", "subnet-b"],
            "Queue": "http://127.0.0.1:4566/123456789012/jobs",
            "AWS::Region": "eu-west-1",
            "AWS::NoValue": NO_VALUE,
        }
        self.atts = {("Queue", "Arn"): "arn:aws:sqs:eu-west-1:123456789012:jobs"}
        self.conditions = {"IsProd": True, "IsDev": False}
        self.mappings = {"Sizes": {"prod": {"Memory": 1024}, "dev": {"Memory": 128}}}
        self.exports = {"shared-bus": "arn:aws:events:eu-west-1:123456789012:event-bus/shared"}

    def ref(self, name: str, path: str) -> Any:
        if name not in self.refs:
            raise TemplateError(self.file, path, f"Ref to unknown resource or parameter '{name}'")
        return self.refs[name]

    def get_att(self, logical_id: str, attribute: str, path: str) -> Any:
        return self.atts[(logical_id, attribute)]

    def condition(self, name: str, path: str) -> bool:
        return self.conditions[name]

    def mapping(self, name: str, path: str) -> Mapping[str, Any]:
        return self.mappings[name]

    def import_value(self, name: str, path: str) -> Any:
        if name not in self.exports:
            raise TemplateError(self.file, path, f"no export {name}")
        return self.exports[name]


@pytest.fixture
def resolve() -> Any:
    resolver = Resolver(FakeScope())
    return lambda value: resolver.resolve(value, "Resources.Fn.Properties.X")


def test_ref_and_get_att(resolve: Any) -> None:
    assert resolve({"Ref": "Stage"}) == "prod"
    assert resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    assert resolve({"Fn::GetAtt": "Queue.Arn"}) == "arn:aws:sqs:eu-west-1:123456789012:jobs"


def test_unknown_ref_names_the_path() -> None:
    resolver = Resolver(FakeScope())
    with pytest.raises(TemplateError) as info:
        resolver.resolve({"A": {"Ref": "Nope"}}, "Resources.Fn.Properties.Environment.Variables")
    assert str(info.value) == (
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A: "
        "Ref to unknown resource or parameter 'Nope'"
    )


def test_sub_string_form(resolve: Any) -> None:
    value = {"Fn::Sub": "${AWS::Region}/${Stage}/${Queue.Arn}/${!Literal}/${ Stage }"}
    assert resolve(value) == (
        "eu-west-1/prod/arn:aws:sqs:eu-west-1:123456789012:jobs/${Literal}/prod"
    )


def test_sub_list_form_variables_win(resolve: Any) -> None:
    value = {"Fn::Sub": ["${Stage}-${Name}-${Count}", {"Name": {"Ref": "Queue"}, "Stage": "x"}]}
    assert resolve(value) == "x-http://127.0.0.1:4566/123456789012/jobs-3"


def test_sub_of_a_list_is_an_error(resolve: Any) -> None:
    with pytest.raises(TemplateError, match=r"cannot put \$\{Subnets\} in a string"):
        resolve({"Fn::Sub": "${Subnets}"})


def test_join_select_split(resolve: Any) -> None:
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, 5, True]]}) == "a-prod-5-true"
    assert resolve({"Fn::Join": [",", {"Ref": "Subnets"}]}) == "subnet-a,subnet-b"
    assert resolve({"Fn::Select": ["1", {"Ref": "Subnets"}]}) == "subnet-b"
    assert resolve({"Fn::Split": [",", "a,b,,c"]}) == ["a", "b", "", "c"]
    assert resolve({"Fn::Select": [0, {"Fn::Split": ["/", "x/y"]}]}) == "x"
    with pytest.raises(TemplateError, match="out of range"):
        resolve({"Fn::Select": [5, ["a"]]})
    with pytest.raises(TemplateError, match="takes a list of 2 arguments"):
        resolve({"Fn::Join": ["-"]})


def test_if_and_no_value(resolve: Any) -> None:
    assert resolve({"Fn::If": ["IsProd", "big", "small"]}) == "big"
    assert resolve({"Fn::If": ["IsDev", "big", "small"]}) == "small"
    value = {
        "Keep": 1,
        "Drop": {"Fn::If": ["IsDev", "x", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "b"]}, "c"],
    }
    assert resolve(value) == {"Keep": 1, "List": ["a", "c"]}
    assert resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_find_in_map(resolve: Any) -> None:
    assert resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 1024
    assert resolve({"Fn::FindInMap": ["Sizes", "qa", "Memory", {"DefaultValue": 256}]}) == 256
    with pytest.raises(TemplateError, match="mapping Sizes has no qa.Memory"):
        resolve({"Fn::FindInMap": ["Sizes", "qa", "Memory"]})


def test_get_azs_base64_cidr(resolve: Any) -> None:
    assert resolve({"Fn::GetAZs": ""}) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert resolve({"Fn::GetAZs": "us-west-2"}) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    encoded = resolve({"Fn::Base64": {"Fn::Sub": "stage=${Stage}"}})
    assert base64.b64decode(encoded) == b"stage=prod"
    assert resolve({"Fn::Cidr": ["10.0.0.0/16", 3, 8]}) == [
        "10.0.0.0/24",
        "10.0.1.0/24",
        "10.0.2.0/24",
    ]


def test_import_value(resolve: Any) -> None:
    assert resolve({"Fn::ImportValue": "shared-bus"}).endswith("event-bus/shared")
    with pytest.raises(TemplateError, match="no export missing"):
        resolve({"Fn::ImportValue": "missing"})


def test_conditions() -> None:
    resolver = Resolver(FakeScope())

    def evaluate(expression: Any) -> bool:
        return resolver.evaluate_condition(expression, "Conditions.C")

    assert evaluate({"Fn::Equals": [{"Ref": "Stage"}, "prod"]}) is True
    assert evaluate({"Fn::Equals": [{"Ref": "Count"}, 3]}) is True  # compared as strings
    assert evaluate({"Fn::Equals": [True, "true"]}) is True
    assert evaluate({"Fn::Not": [{"Condition": "IsProd"}]}) is False
    assert evaluate({"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]}) is False
    assert evaluate({"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]}) is True
    assert evaluate({"Condition": "IsDev"}) is False
    with pytest.raises(TemplateError, match="takes a list of 2-10 arguments"):
        evaluate({"Fn::And": [{"Condition": "IsProd"}]})
    with pytest.raises(TemplateError, match="must be true or false"):
        evaluate("maybe")


def test_condition_key_outside_conditions_is_plain_data(resolve: Any) -> None:
    # IAM policy statements have a "Condition" key; it is not the intrinsic there.
    statement = {"Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}
    assert resolve(statement) == statement


def test_language_extensions_and_unsupported(resolve: Any) -> None:
    assert resolve({"Fn::ToJsonString": {"a": [1, {"Ref": "Stage"}]}}) == '{"a":[1,"prod"]}'
    assert resolve({"Fn::Length": {"Ref": "Subnets"}}) == 2
    with pytest.raises(TemplateError, match="Fn::Transform"):
        resolve({"Fn::Transform": {"Name": "AWS::Include"}})
    with pytest.raises(TemplateError, match="unsupported intrinsic function Fn::Bogus"):
        resolve({"Fn::Bogus": 1})


def test_helpers() -> None:
    assert is_intrinsic({"Ref": "X"})
    assert is_intrinsic({"Fn::Sub": "x"})
    assert not is_intrinsic({"Ref": "X", "Other": 1})
    assert not is_intrinsic({"Name": "x"})
    assert to_cfn_string(True) == "true"
    assert to_cfn_string(False) == "false"
    assert to_cfn_string(12) == "12"
    assert to_cfn_string(1.5) == "1.5"
    assert to_cfn_string([1]) is None
