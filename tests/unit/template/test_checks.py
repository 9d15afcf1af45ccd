"""serverlite's own checks: each one's message, through the loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from serverlite.errors import TemplateError, TemplateErrors
from serverlite.template import Application, FunctionSpec
from serverlite.template.checks import (
    RESERVED_VARIABLES,
    RULES,
    CheckError,
    check_function,
    directory_size,
)

from .conftest import function_template

Load = Callable[..., Application]


def errors(load: Load, properties: str, resources: str = "") -> list[str]:
    with pytest.raises(TemplateError) as info:
        load(function_template(properties, resources))
    error = info.value
    return [str(e) for e in (error.errors if isinstance(error, TemplateErrors) else [error])]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ("MemorySize: 64", "Resources.Fn.Properties.MemorySize: must be 128-10240, got 64"),
        ("MemorySize: 10241", "Resources.Fn.Properties.MemorySize: must be 128-10240, got 10241"),
        ("Timeout: 0", "Resources.Fn.Properties.Timeout: must be 1-900, got 0"),
        ("Timeout: 901", "Resources.Fn.Properties.Timeout: must be 1-900, got 901"),
        (
            "ReservedConcurrentExecutions: -1",
            "Resources.Fn.Properties.ReservedConcurrentExecutions: must be 0 or more, got -1",
        ),
        (
            "EventInvokeConfig: {MaximumRetryAttempts: 3}",
            "Resources.Fn.Properties.EventInvokeConfig.MaximumRetryAttempts: must be 0-2, got 3",
        ),
        (
            "EventInvokeConfig: {MaximumEventAgeInSeconds: 59}",
            "Resources.Fn.Properties.EventInvokeConfig.MaximumEventAgeInSeconds: "
            "must be 60-21600, got 59",
        ),
        (
            "EventInvokeConfig: {MaximumEventAgeInSeconds: 21601}",
            "Resources.Fn.Properties.EventInvokeConfig.MaximumEventAgeInSeconds: "
            "must be 60-21600, got 21601",
        ),
        (
            "Architectures: [sparc]",
            "Resources.Fn.Properties.Architectures: must be [x86_64] or [arm64], got [sparc]",
        ),
        (
            "Architectures: [x86_64, arm64]",
            "Resources.Fn.Properties.Architectures: must be [x86_64] or [arm64], "
            "got [x86_64, arm64]",
        ),
        (
            "EphemeralStorage: {Size: 256}",
            "Resources.Fn.Properties.EphemeralStorage: must be 512-10240, got 256",
        ),
        (
            "FunctionName: has spaces",
            "Resources.Fn.Properties.FunctionName: "
            "'has spaces' must be 1-64 letters, digits, - or _",
        ),
        (
            "MemorySize: lots",
            "Resources.Fn.Properties.MemorySize: must be an integer, got 'lots'",
        ),
    ],
)
def test_limits(load: Load, properties: str, message: str) -> None:
    assert errors(load, properties) == [f"template.yaml: {message}"]


def test_handler_shape(load: Load) -> None:
    template = function_template().replace("Handler: app.handler", "Handler: app")
    with pytest.raises(TemplateError) as info:
        load(template)
    assert str(info.value) == (
        "template.yaml: Resources.Fn.Properties.Handler: "
        "must be module.function (e.g. app.lambda_handler), got 'app'"
    )
    missing = function_template().replace("      Handler: app.handler\n", "")
    with pytest.raises(TemplateError) as info:
        load(missing)
    assert str(info.value) == (
        "template.yaml: Resources.Fn.Properties.Handler: "
        "is required: module.function, e.g. app.lambda_handler"
    )
    nested_module = function_template().replace("app.handler", "pkg/app.main")
    assert load(nested_module).functions[0].handler == "pkg/app.main"


def test_environment_names_and_size(load: Load) -> None:
    found = errors(
        load,
        """
        Environment:
          Variables:
            AWS_REGION: x
            _HANDLER: y
            X: single
            9LIVES: z
            HAS-DASH: w
            OK_NAME: fine
        """,
    )
    base = "template.yaml: Resources.Fn.Properties.Environment.Variables"
    assert found == [
        f"{base}.AWS_REGION: AWS_REGION is reserved by Lambda and cannot be set",
        f"{base}._HANDLER: _HANDLER is reserved by Lambda and cannot be set",
        f"{base}.X: 'X' is not a valid name: start with a letter, use 2 or more letters, "
        "digits or _",
        f"{base}.9LIVES: '9LIVES' is not a valid name: start with a letter, use 2 or more "
        "letters, digits or _",
        f"{base}.HAS-DASH: 'HAS-DASH' is not a valid name: start with a letter, use 2 or more "
        "letters, digits or _",
    ]
    fits = "x" * 4093  # "BIG" + value = 4096 bytes: exactly the limit
    (fn,) = load(function_template(f"Environment:\n  Variables:\n    BIG: {fits}\n")).functions
    assert len(fn.environment["BIG"]) == 4093
    assert errors(load, f"Environment:\n  Variables:\n    BIG: {fits}y\n") == [
        "template.yaml: Resources.Fn.Properties.Environment: environment variables take "
        "4097 bytes; Lambda allows 4096 (4 KB)"
    ]


def test_reserved_variables_include_lambdas_list() -> None:
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT", "AWS_SESSION_TOKEN", "TZ"):
        assert name in RESERVED_VARIABLES
    assert "AWS_ENDPOINT_URL" not in RESERVED_VARIABLES


def test_layer_count(load: Load) -> None:
    layers = "".join(
        f"L{i}:\n  Type: AWS::Serverless::LayerVersion\n  Properties: {{ContentUri: src/}}\n"
        for i in range(6)
    )
    refs = ", ".join(f"!Ref L{i}" for i in range(6))
    assert errors(load, f"Layers: [{refs}]", layers) == [
        "template.yaml: Resources.Fn.Properties.Layers: a function can use at most 5 layers, got 6"
    ]


def test_code_directory_must_exist(load: Load) -> None:
    template = function_template().replace("CodeUri: src/", "CodeUri: missing/")
    with pytest.raises(TemplateError) as info:
        load(template)
    assert str(info.value) == (
        "template.yaml: Resources.Fn.Properties.CodeUri: code directory not found: missing"
    )


def test_unzipped_size_limit(load: Load, app_dir: Path) -> None:
    (app_dir / "big").mkdir()
    with (app_dir / "big" / "model.bin").open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no real disk used
    (app_dir / "biglayer" / "python").mkdir(parents=True)
    with (app_dir / "biglayer" / "python" / "lib.bin").open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    template = function_template(
        "Layers: [!Ref Big]",
        "Big:\n  Type: AWS::Serverless::LayerVersion\n  Properties: {ContentUri: biglayer/}\n",
    ).replace("CodeUri: src/", "CodeUri: big/")
    with pytest.raises(TemplateError) as info:
        load(template)
    assert str(info.value) == (
        "template.yaml: Resources.Fn.Properties.CodeUri: code and layers are more than "
        "260 MB unzipped; Lambda allows 250 MB"
    )


def test_directory_size_skips_caches(tmp_path: Path) -> None:
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"x" * 1000)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "pack").write_bytes(b"x" * 1000)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_bytes(b"x" * 10)
    (tmp_path / "app.py").write_bytes(b"x" * 5)
    assert directory_size(tmp_path) == 15


def test_check_function_directly(tmp_path: Path) -> None:
    fn = FunctionSpec(
        logical_id="Fn",
        stack_path=(),
        name="Fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:Fn",
        handler="app.handler",
        runtime="python3.12",
        code_dir=tmp_path,
        timeout_s=0,
        resource_type="AWS::Lambda::Function",
    )
    (error,) = check_function(fn)
    assert isinstance(error, CheckError)
    assert error.rule == "SL1002"
    assert error.path == "Resources.Fn.Properties.Timeout"
    assert error.message == "must be 1-900, got 0"
    assert set(RULES) >= {error.rule, "SL0001"}
