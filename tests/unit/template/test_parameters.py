from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from serverlite.errors import ConfigError, TemplateError, TemplateErrors
from serverlite.template import Application, parse_parameter_overrides

from .conftest import function_template


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stage=prod", {"Stage": "prod"}),
        ("Stage=prod Size=2", {"Stage": "prod", "Size": "2"}),
        ("ParameterKey=Stage,ParameterValue=prod", {"Stage": "prod"}),
        (
            "ParameterKey=Stage,ParameterValue=prod ParameterKey=Subnets,ParameterValue=a,b",
            {"Stage": "prod", "Subnets": "a,b"},
        ),
        ('Greeting="hello world" Empty=""', {"Greeting": "hello world", "Empty": ""}),
        (r"Path=a\ b", {"Path": "a b"}),
        ("Url=https://x.example/a=b", {"Url": "https://x.example/a=b"}),
        ("  Stage=prod   ", {"Stage": "prod"}),
    ],
)
def test_parse_parameter_overrides(text: str, expected: dict[str, str]) -> None:
    assert parse_parameter_overrides(text) == expected


def test_parse_parameter_overrides_list_and_none() -> None:
    assert parse_parameter_overrides(["A=1 B=2", "ParameterKey=C,ParameterValue=3"]) == {
        "A": "1",
        "B": "2",
        "C": "3",
    }
    assert parse_parameter_overrides(None) == {}


@pytest.mark.parametrize("bad", ["Stage", "=x", 'A="open', "Bad-Key=1"])
def test_parse_parameter_overrides_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_parameter_overrides(bad)


PARAMS = """
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Name:
    Type: String
    Default: abc
    MinLength: 2
    MaxLength: 5
    AllowedPattern: "[a-z]+"
    ConstraintDescription: lowercase letters
  Size:
    Type: Number
    Default: 128
    MinValue: 128
    MaxValue: 1024
  Subnets:
    Type: CommaDelimitedList
    Default: "a, b ,c"
  Ports:
    Type: List<Number>
    Default: "80,443"
  Secret:
    Type: String
    NoEcho: true
    Default: hunter2
  FromSsm:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /app/setting
"""

ENV = """
Environment:
  Variables:
    STAGE: !Ref Stage
    NAME: !Ref Name
    SIZE: !Ref Size
    SUBNET_LIST: !Join ["|", !Ref Subnets]
    PORTS: !Join [",", !Ref Ports]
    SECRET: !Ref Secret
    SSM: !Ref FromSsm
"""


def test_parameter_defaults_and_types(load: Callable[..., Application]) -> None:
    app = load(PARAMS + function_template(ENV))
    env = app.functions[0].environment
    assert env == {
        "STAGE": "dev",
        "NAME": "abc",
        "SIZE": "128",
        "SUBNET_LIST": "a|b|c",  # members are trimmed
        "PORTS": "80,443",
        "SECRET": "hunter2",
        "SSM": "/app/setting",
    }
    assert app.root.parameters["Subnets"] == "a, b ,c"
    assert any("AWS::SSM::Parameter::Value<String>" in w for w in app.warnings)


def test_parameter_overrides_win(load: Callable[..., Application]) -> None:
    app = load(
        PARAMS + function_template(ENV),
        parameter_overrides={"Stage": "prod", "Size": "512", "Unknown": "x"},
    )
    env = app.functions[0].environment
    assert (env["STAGE"], env["SIZE"]) == ("prod", "512")
    assert any("parameter override Unknown is not a parameter" in w for w in app.warnings)


def errors_of(load: Callable[..., Application], text: str, **kwargs: Any) -> list[str]:
    with pytest.raises(TemplateError) as info:
        load(text, **kwargs)
    error = info.value
    errors = error.errors if isinstance(error, TemplateErrors) else [error]
    return [str(e) for e in errors]


def test_parameter_constraints(load: Callable[..., Application]) -> None:
    messages = errors_of(
        load,
        PARAMS + function_template(ENV),
        parameter_overrides={"Stage": "qa", "Name": "ABCDEFG", "Size": "64", "Ports": "80,x"},
    )
    assert messages == [
        "template.yaml: Parameters.Stage: 'qa' is not one of the AllowedValues: dev, prod",
        "template.yaml: Parameters.Name: 'ABCDEFG' is longer than MaxLength 5 (lowercase letters)",
        "template.yaml: Parameters.Name: 'ABCDEFG' does not match AllowedPattern '[a-z]+' "
        "(lowercase letters)",
        "template.yaml: Parameters.Size: 64 is less than MinValue 128",
        "template.yaml: Parameters.Ports: 'x' is not a number",
    ]


def test_missing_parameter_starts_with_a_placeholder_and_a_warning(
    load: Callable[..., Application],
) -> None:
    text = "Parameters:\n  TableName:\n    Type: String\n" + function_template(
        "Environment:\n  Variables:\n    TABLE: !Sub '${TableName}-items'\n"
    )
    app = load(text)
    assert app.functions[0].environment["TABLE"] == "UNSET-TableName-items"
    assert app.warnings[0] == (
        "template.yaml: Parameters.TableName: no value given and no Default; serverlite "
        "starts with the placeholder 'UNSET-TableName' wherever it is used (pass "
        "--parameter-overrides TableName=VALUE, or put TableName=VALUE in "
        "parameter_overrides of samconfig.toml)"
    )
    app = load(text, parameter_overrides={"TableName": "t"})
    assert app.root.parameters == {"TableName": "t"}
    assert app.warnings == ()


def test_missing_parameter_where_a_placeholder_cannot_work_is_one_error(
    load: Callable[..., Application],
) -> None:
    text = """
    Parameters:
      Env: {Type: String}
      Memory: {Type: Number}
    Conditions:
      IsProd: !Equals [!Ref Env, prod]
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
          Runtime: python3.12
          MemorySize: !Ref Memory
      Queue:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !If [IsProd, fast, slow]
      Other:
        Type: AWS::SQS::Queue
        Condition: IsProd
    """
    messages = sorted(errors_of(load, text))
    assert messages == [
        "template.yaml: Parameters.Env: no value given and no Default, and template.yaml "
        "Conditions.IsProd needs its real value (pass --parameter-overrides Env=VALUE, or "
        "put Env=VALUE in parameter_overrides of samconfig.toml)",
        "template.yaml: Parameters.Memory: no value given and no Default, and template.yaml "
        "Resources.Fn.Properties.MemorySize needs its real value (pass --parameter-overrides "
        "Memory=VALUE, or put Memory=VALUE in parameter_overrides of samconfig.toml)",
    ]


def test_env_vars_override_declared_variables_only(load: Callable[..., Application]) -> None:
    from serverlite.template.env_vars import EnvVars

    text = function_template("Environment:\n  Variables:\n    TABLE: t\n    MODE: m\n")
    env = EnvVars(shared={"TABLE": "shared", "EXTRA": "x"}, by_function={"Fn": {"MODE": "own"}})
    app = load(text, env_vars=env)
    assert app.functions[0].environment == {"TABLE": "shared", "MODE": "own"}
    env = EnvVars(by_function={"Fn": {"NEW": "n"}})
    app = load(text, env_vars=env)
    assert "NEW" not in app.functions[0].environment
    assert app.warnings == (
        "--env-vars: Fn does not declare NEW in Environment.Variables; ignored "
        "(as sam local ignores it)",
    )


def test_a_bucket_name_needs_the_real_value(load: Callable[..., Application]) -> None:
    text = """
    Parameters:
      Env: {Type: String}
    Resources:
      Bucket:
        Type: AWS::S3::Bucket
        Properties: {BucketName: !Sub "${Env}-uploads"}
    """
    assert errors_of(load, text) == [
        "template.yaml: Parameters.Env: no value given and no Default, and template.yaml "
        "Resources.Bucket.Properties.BucketName needs its real value (pass "
        "--parameter-overrides Env=VALUE, or put Env=VALUE in parameter_overrides of "
        "samconfig.toml)"
    ]
