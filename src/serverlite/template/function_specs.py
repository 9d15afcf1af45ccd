"""AWS::Serverless::Function and AWS::Lambda::Function -> FunctionSpec."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from serverlite.errors import TemplateError, TemplateErrors

from . import powertools_layers as powertools
from .globals import has_path
from .intrinsics import to_cfn_string
from .layers import local_code_path
from .model import (
    DestinationSpec,
    EventInvokeConfigSpec,
    EventSourceSpec,
    FunctionSpec,
    LayerSpec,
)
from .raw_resources import RawResource
from .stack import Stack

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
SUPPORTED_RUNTIMES = tuple(f"python3.{minor}" for minor in range(9, 15))
# Lambda's log levels (LoggingConfig.ApplicationLogLevel / SystemLogLevel), lowest first.
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_DEFAULT_CODE_URI = "."  # sam uses the template's directory when CodeUri is not set

# SAM property name -> the AWS::Lambda::Function property it comes from.
_LAMBDA_NAMES = {
    "CodeUri": "Code",
    "DeadLetterQueue": "DeadLetterConfig",
    "Tracing": "TracingConfig",
}


def destination_type(arn: str) -> str:
    """SQS | SNS | Lambda | EventBridge | S3Bucket, from the service in an ARN."""
    service = arn.split(":")[2] if arn.count(":") >= 2 else ""
    types = {
        "sqs": "SQS",
        "sns": "SNS",
        "lambda": "Lambda",
        "events": "EventBridge",
        "s3": "S3Bucket",
    }
    return types.get(service, service)


class _Builder:
    """Reads one function's resolved properties, collecting every problem."""

    def __init__(self, stack: Stack, resource: RawResource) -> None:
        self.stack = stack
        self.resource = resource
        self.sam = resource.type == "AWS::Serverless::Function"
        self.props = stack.properties(resource.logical_id)
        self.errors: list[TemplateError] = []

    def origin(self, name: str) -> str:
        """The template path a setting is read from (Globals when inherited)."""
        keys = tuple(name.split("."))
        if self.sam:
            if not has_path(self.resource.local_properties, keys) and has_path(
                self.resource.properties, keys
            ):
                return "Globals.Function." + name
        else:
            keys = (_LAMBDA_NAMES.get(keys[0], keys[0]), *keys[1:])
        return f"Resources.{self.resource.logical_id}.Properties." + ".".join(keys)

    def fail(self, name: str, message: str) -> None:
        self.errors.append(self.stack.error(self.origin(name), message))

    def integer(self, name: str, value: Any, default: int | None) -> int | None:
        if value is None:
            return default
        try:
            self.stack.require_value(value, self.origin(name))
        except TemplateError as exc:
            self.errors.append(exc)
            return default
        if isinstance(value, bool):
            self.fail(name, f"must be an integer, got {value!r}")
            return default
        try:
            return int(str(value))
        except ValueError:
            self.fail(name, f"must be an integer, got {value!r}")
            return default

    def runtime(self) -> str:
        runtime = self.props.get("Runtime")
        try:
            self.stack.require_value(runtime, self.origin("Runtime"))
        except TemplateError as exc:
            self.errors.append(exc)
            return ""
        if self.props.get("PackageType") == "Image":
            self.fail("PackageType", "container image functions are not supported by serverlite")
        elif runtime is None:
            self.fail("Runtime", "is required (python3.9-python3.14)")
        elif runtime not in SUPPORTED_RUNTIMES:
            self.fail(
                "Runtime",
                f"Runtime {runtime} is not supported: "
                "serverlite runs Python functions (python3.9-python3.14)",
            )
        return str(runtime or "")

    def code(self) -> tuple[Path, str | None]:
        template_dir = self.stack.template_file.parent.resolve()
        if self.sam:
            inline = self.props.get("InlineCode")
            location = self.props.get("CodeUri", _DEFAULT_CODE_URI if inline is None else None)
        else:
            code = self.props.get("Code")
            inline = code.get("ZipFile") if isinstance(code, dict) else None
            location = code if inline is None else None
            asset = self.resource.metadata.get("aws:asset:path")
            if isinstance(code, dict) and inline is None and isinstance(asset, str):
                # CDK: the S3 object is the asset cdk synth staged next to the template.
                location = asset
        if inline is not None:
            if not isinstance(inline, str):
                self.fail("InlineCode", "must be a string of Python source")
            # Not written at load time: the execution environment materializes it.
            return template_dir, str(inline)
        try:
            what = "CodeUri" if self.sam else "Code"
            path = self.origin("CodeUri")
            return local_code_path(self.stack, location, path, what), None
        except TemplateError as exc:
            self.errors.append(exc)
            return template_dir, None

    def layers(
        self, known: Mapping[str, LayerSpec]
    ) -> tuple[tuple[LayerSpec, ...], tuple[str, ...]]:
        value = self.props.get("Layers") or []
        if not isinstance(value, list):
            self.fail("Layers", "must be a list of layer ARNs")
            return (), ()
        local: list[LayerSpec] = []
        external: list[str] = []
        for index, arn in enumerate(value):
            if not isinstance(arn, str):
                self.fail("Layers", f"entry {index} must be a layer ARN, got {arn!r}")
            elif arn in known:
                local.append(known[arn])
            elif powertools.recognize(arn) is not None:
                external.append(
                    arn
                )  # serverlite installs what it holds (template/powertools_layers.py)
            else:
                external.append(arn)
                self.stack.app.warn(
                    f"{self.stack.file}: {self.origin('Layers')}[{index}]: layer {arn} is not "
                    "defined in the application; serverlite cannot fetch it and runs "
                    f"{self.resource.logical_id} without it"
                )
        return tuple(local), tuple(external)

    def environment(self) -> tuple[dict[str, str], dict[str, str]]:
        env = self.props.get("Environment") or {}
        variables = env.get("Variables") if isinstance(env, dict) else None
        if variables is None:
            return {}, {}
        if not isinstance(variables, dict):
            self.fail("Environment.Variables", "must be a mapping of names to values")
            return {}, {}
        result: dict[str, str] = {}
        origins: dict[str, str] = {}
        for key, value in variables.items():
            name = f"Environment.Variables.{key}"
            origins[name] = self.origin(name)
            # CloudFormation passes numbers as their text and booleans as "true"/"false".
            text = to_cfn_string(value)
            if text is None:
                self.fail(name, f"must be a string, got {value!r}")
                continue
            result[str(key)] = text
        return result, origins

    def events(self) -> tuple[EventSourceSpec, ...]:
        events = self.props.get("Events") or {}
        if not isinstance(events, dict):
            self.fail("Events", "must be a mapping of event names to sources")
            return ()
        result = []
        for name, body in events.items():
            if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
                self.fail(f"Events.{name}", "must be a mapping with a Type")
                continue
            properties = body.get("Properties") or {}
            if not isinstance(properties, dict):
                self.fail(f"Events.{name}.Properties", "must be a mapping")
                continue
            result.append(EventSourceSpec(name=name, type=body["Type"], properties=properties))
        return tuple(result)

    def dead_letter_queue(self) -> DestinationSpec | None:
        name = "DeadLetterQueue" if self.sam else "DeadLetterConfig"
        value = self.props.get(name)
        if value is None:
            return None
        arn = value.get("TargetArn") if isinstance(value, dict) else None
        if not isinstance(arn, str):
            self.fail("DeadLetterQueue", "needs a TargetArn (an SQS queue or SNS topic ARN)")
            return None
        kind = value.get("Type") if self.sam else destination_type(arn)
        if kind not in ("SQS", "SNS"):
            self.fail("DeadLetterQueue", f"Type must be SQS or SNS, got {kind!r}")
            return None
        return DestinationSpec(type=str(kind), arn=arn)

    def event_invoke_config(self) -> EventInvokeConfigSpec | None:
        value = self.props.get("EventInvokeConfig")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail("EventInvokeConfig", "must be a mapping")
            return None
        return read_event_invoke_config(self, value, "EventInvokeConfig", typed=True)

    def tracing(self) -> str | None:
        if self.sam:
            value = self.props.get("Tracing")
        else:
            config = self.props.get("TracingConfig")
            value = config.get("Mode") if isinstance(config, dict) else None
        return str(value) if value is not None else None

    def logging_config(self) -> dict[str, Any]:
        """LoggingConfig as Lambda validates it (CreateFunction's LoggingConfig)."""
        config = self.props.get("LoggingConfig")
        if config is None:
            return {}
        if not isinstance(config, dict):
            self.fail("LoggingConfig", "must be a mapping")
            return {}
        log_format = str(config.get("LogFormat", "Text"))
        if log_format not in ("Text", "JSON"):
            self.fail("LoggingConfig.LogFormat", "must be Text or JSON")
            return {}
        out: dict[str, Any] = {"log_format": log_format}
        for key, name in (
            ("ApplicationLogLevel", "application_log_level"),
            ("SystemLogLevel", "system_log_level"),
        ):
            level = config.get(key)
            if level is None:
                # Lambda's default for a JSON function's levels.
                out[name] = "INFO" if log_format == "JSON" else None
            elif log_format != "JSON":
                # CreateFunction: "LogLevel is not supported when LogFormat is set to TEXT".
                self.fail(f"LoggingConfig.{key}", "can be set only when LogFormat is JSON")
            elif str(level) not in LOG_LEVELS:
                self.fail(f"LoggingConfig.{key}", f"must be one of {', '.join(LOG_LEVELS)}")
            else:
                out[name] = str(level)
        if config.get("LogGroup") is not None:
            out["log_group"] = str(config["LogGroup"])
        return out

    def architectures(self) -> tuple[str, ...]:
        value = self.props.get("Architectures", ["x86_64"])
        if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
            self.fail("Architectures", "must be a list such as [x86_64] or [arm64]")
            return ("x86_64",)
        return tuple(value)

    def policies(self) -> tuple[Any, ...]:
        value = self.props.get("Policies")
        if value is None:
            return ()
        return tuple(value) if isinstance(value, list) else (value,)


def read_event_invoke_config(
    builder: _Builder | _ConfigReader, value: Mapping[str, Any], prefix: str, *, typed: bool
) -> EventInvokeConfigSpec:
    """EventInvokeConfig settings; SAM destinations carry a Type, Lambda's are inferred."""
    destinations: dict[str, DestinationSpec | None] = {"OnSuccess": None, "OnFailure": None}
    config = value.get("DestinationConfig") or {}
    for key in destinations:
        target = config.get(key) if isinstance(config, dict) else None
        if target is None:
            continue
        where = f"{prefix}.DestinationConfig.{key}"
        arn = target.get("Destination") if isinstance(target, dict) else None
        if not isinstance(arn, str):
            # SAM would create a queue or topic when Destination is left out; serverlite does not.
            builder.fail(where, "needs a Destination ARN (serverlite does not create one)")
            continue
        kind = target.get("Type") if typed and isinstance(target, dict) else None
        destinations[key] = DestinationSpec(type=str(kind or destination_type(arn)), arn=arn)
    retries = builder.integer(
        f"{prefix}.MaximumRetryAttempts", value.get("MaximumRetryAttempts"), 2
    )
    age = builder.integer(
        f"{prefix}.MaximumEventAgeInSeconds", value.get("MaximumEventAgeInSeconds"), 21600
    )
    return EventInvokeConfigSpec(
        maximum_retry_attempts=2 if retries is None else retries,
        maximum_event_age_seconds=21600 if age is None else age,
        on_success=destinations["OnSuccess"],
        on_failure=destinations["OnFailure"],
    )


def build_function(
    stack: Stack, resource: RawResource, known_layers: Mapping[str, LayerSpec]
) -> FunctionSpec:
    """The FunctionSpec of one function resource; raises TemplateErrors listing every problem."""
    b = _Builder(stack, resource)
    logical_id = resource.logical_id
    runtime = b.runtime()
    code_dir, inline_code = b.code()
    layers, external = b.layers(known_layers)
    environment, env_origins = b.environment()
    storage = b.props.get("EphemeralStorage")
    spec_values = {
        "memory_mb": b.integer("MemorySize", b.props.get("MemorySize"), 128),
        "timeout_s": b.integer("Timeout", b.props.get("Timeout"), 3),
        "reserved_concurrency": b.integer(
            "ReservedConcurrentExecutions", b.props.get("ReservedConcurrentExecutions"), None
        ),
        "ephemeral_storage_mb": b.integer(
            "EphemeralStorage", storage.get("Size") if isinstance(storage, dict) else None, 512
        ),
    }
    role = b.props.get("Role")
    if role is None and b.sam:
        role = stack.get_att(f"{logical_id}Role", "Arn", f"Resources.{logical_id}")
    events, policies, architectures = b.events(), b.policies(), b.architectures()
    dead_letter_queue, event_invoke_config = b.dead_letter_queue(), b.event_invoke_config()
    tracing = b.tracing()
    logging_config = b.logging_config()
    if b.errors:
        raise TemplateErrors(b.errors)
    origins = {
        key: b.origin(key)
        for key in (
            "Runtime", "Handler", "CodeUri", "Layers", "MemorySize", "Timeout",
            "ReservedConcurrentExecutions", "Architectures", "EphemeralStorage",
            "EventInvokeConfig", "Environment",
        )
    }  # fmt: skip
    if "FunctionName" in b.props:
        origins["FunctionName"] = b.origin("FunctionName")
    origins.update(env_origins)
    where = f"Resources.{logical_id}"
    return FunctionSpec(
        logical_id=logical_id,
        stack_path=stack.path,
        name=str(stack.ref(logical_id, where)),
        arn=str(stack.get_att(logical_id, "Arn", where)),
        handler=str(b.props.get("Handler") or ""),
        runtime=runtime,
        code_dir=code_dir,
        inline_code=inline_code,
        layers=layers,
        external_layer_arns=external,
        environment=environment,
        memory_mb=spec_values["memory_mb"] or 0,
        timeout_s=spec_values["timeout_s"] or 0,
        reserved_concurrency=spec_values["reserved_concurrency"],
        ephemeral_storage_mb=spec_values["ephemeral_storage_mb"] or 512,
        role=str(role) if role is not None else None,
        description=str(b.props.get("Description") or ""),
        template_file=stack.template_file,
        resource_type=resource.type,
        origins=origins,
        events=events,
        policies=policies,
        architectures=architectures,
        dead_letter_queue=dead_letter_queue,
        event_invoke_config=event_invoke_config,
        tracing=tracing,
        **logging_config,
    )


class _ConfigReader:
    """Problem collector for an AWS::Lambda::EventInvokeConfig resource."""

    def __init__(self, stack: Stack, logical_id: str) -> None:
        self.stack = stack
        self.logical_id = logical_id
        self.errors: list[TemplateError] = []

    def fail(self, name: str, message: str) -> None:
        path = f"Resources.{self.logical_id}.Properties.{name.removeprefix('.')}"
        self.errors.append(self.stack.error(path, message))

    def integer(self, name: str, value: Any, default: int | None) -> int | None:
        try:
            return default if value is None else int(str(value))
        except ValueError:
            self.fail(name, f"must be an integer, got {value!r}")
            return default


def build_event_invoke_config(
    stack: Stack, resource: RawResource
) -> tuple[str, EventInvokeConfigSpec, str]:
    """An AWS::Lambda::EventInvokeConfig: (function name or ARN, settings, its path)."""
    props = stack.properties(resource.logical_id)
    reader = _ConfigReader(stack, resource.logical_id)
    function = props.get("FunctionName")
    if not isinstance(function, str):
        reader.fail("FunctionName", "must name the function (a Ref to it)")
    config = read_event_invoke_config(reader, props, "", typed=False)
    if reader.errors:
        raise TemplateErrors(reader.errors)
    return str(function), config, f"Resources.{resource.logical_id}.Properties"
