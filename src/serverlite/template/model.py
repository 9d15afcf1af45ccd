"""Frozen, typed specs of a loaded SAM application.

The template loader (``serverlite.template.loader``) produces these once; every
other part of serverlite is driven from them and nothing re-reads YAML.
All intrinsic functions are already resolved in every value held here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_REGION = "us-east-1"
# The account id sam local and most local emulators use; functions see it in ARNs.
DEFAULT_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class LayerSpec:
    """An AWS::Serverless::LayerVersion or AWS::Lambda::LayerVersion."""

    logical_id: str
    stack_path: tuple[str, ...]
    name: str  # LayerName, or the logical id
    arn: str  # arn:aws:lambda:<region>:<account>:layer:<name>:1
    content_dir: Path  # ContentUri / Content resolved to a local directory
    compatible_runtimes: tuple[str, ...] = ()
    # Metadata.BuildMethod: "python3.x" makes sam build install the layer's
    # requirements.txt and place ContentUri itself under python/ in the layer.
    build_method: str | None = None

    @property
    def builds_python(self) -> bool:
        return bool(self.build_method and self.build_method.startswith("python3"))

    @property
    def python_paths(self) -> tuple[Path, ...]:
        """The directories Lambda puts on sys.path for this layer (/opt/python, ...)."""
        if self.builds_python:  # sam build copies ContentUri into the layer's python/
            return (self.content_dir,)
        py = self.content_dir / "python"
        return (py, *sorted((py / "lib").glob("python3.*/site-packages")))


@dataclass(frozen=True)
class EventSourceSpec:
    """One entry of a function's ``Events`` (Api, HttpApi, SQS, SNS, Schedule, ...)."""

    name: str  # the key under Events
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class DestinationSpec:
    """An on-success / on-failure destination or a dead-letter target."""

    type: str  # SQS | SNS | Lambda | EventBridge
    arn: str


@dataclass(frozen=True)
class EventInvokeConfigSpec:
    maximum_retry_attempts: int = 2  # 0-2
    maximum_event_age_seconds: int = 21600  # 60-21600
    on_success: DestinationSpec | None = None
    on_failure: DestinationSpec | None = None


@dataclass(frozen=True)
class FunctionSpec:
    """An AWS::Serverless::Function or AWS::Lambda::Function, Globals applied."""

    logical_id: str
    stack_path: tuple[str, ...]  # () for the root stack, ("Patients",) when nested
    name: str  # the physical function name (FunctionName, or derived from the path)
    arn: str
    handler: str  # "module.function" (dots in the module path allowed: "pkg/app.handler")
    runtime: str  # python3.9 ... python3.14
    code_dir: Path  # CodeUri resolved (for InlineCode, a directory serverlite writes)
    inline_code: str | None = None
    layers: tuple[LayerSpec, ...] = ()
    external_layer_arns: tuple[str, ...] = ()  # layers serverlite cannot fetch (warned)
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = 128
    timeout_s: int = 3
    reserved_concurrency: int | None = None
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_storage_mb: int = 512
    events: tuple[EventSourceSpec, ...] = ()
    policies: tuple[Any, ...] = ()
    role: str | None = None
    dead_letter_queue: DestinationSpec | None = None
    event_invoke_config: EventInvokeConfigSpec | None = None
    tracing: str | None = None
    # LoggingConfig: "Text" | "JSON"; the levels are set only for JSON (AWS refuses them
    # with Text) and default to INFO there; LogGroup replaces /aws/lambda/<name>.
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None
    description: str = ""
    template_file: Path | None = None
    resource_type: str = "AWS::Serverless::Function"  # or AWS::Lambda::Function
    # "$LATEST", or the number of a published version this spec runs (its code a snapshot).
    version: str = "$LATEST"
    # Where each setting is written in the template ("Globals.Function.Timeout" when
    # inherited), keyed by SAM property name ("Timeout", "Environment.Variables.X").
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def qualified_id(self) -> str:
        """``Stack/Child/Logical`` as sam local names nested functions."""
        return "/".join((*self.stack_path, self.logical_id))

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


@dataclass(frozen=True)
class ResourceSpec:
    """Any other resource (tables, queues, topics, APIs, ...), properties resolved."""

    logical_id: str
    stack_path: tuple[str, ...]
    type: str
    properties: Mapping[str, Any]
    physical_id: str  # what Ref returns
    attributes: Mapping[str, Any] = field(default_factory=dict)  # what GetAtt returns


@dataclass(frozen=True)
class StackSpec:
    """One template: the root one, or a nested AWS::Serverless::Application."""

    name: str  # stack name (root: given or "serverlite"; nested: the application's logical id)
    path: tuple[str, ...]  # logical ids from the root to this stack; () for the root
    template_file: Path
    parameters: Mapping[str, str]
    functions: tuple[FunctionSpec, ...]
    layers: tuple[LayerSpec, ...]
    resources: tuple[ResourceSpec, ...]
    outputs: Mapping[str, Any]
    nested: tuple[StackSpec, ...] = ()
    exports: Mapping[str, Any] = field(default_factory=dict)  # Export.Name -> output value
    aws_stack_name: str = ""  # what AWS::StackName gives here ("serverlite-Orders" nested)
    stack_id: str = ""  # what AWS::StackId gives here

    def walk(self) -> Iterator[StackSpec]:
        yield self
        for child in self.nested:
            yield from child.walk()


@dataclass(frozen=True)
class Application:
    """A loaded application: the root stack and everything nested in it."""

    root: StackSpec
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    warnings: tuple[str, ...] = ()

    @property
    def functions(self) -> tuple[FunctionSpec, ...]:
        return tuple(fn for stack in self.root.walk() for fn in stack.functions)

    @property
    def layers(self) -> tuple[LayerSpec, ...]:
        return tuple(layer for stack in self.root.walk() for layer in stack.layers)

    @property
    def resources(self) -> tuple[ResourceSpec, ...]:
        return tuple(res for stack in self.root.walk() for res in stack.resources)

    def find_function(self, ref: str) -> FunctionSpec | None:
        """Find by physical name, qualified id (``App/Fn``), logical id, or ARN."""
        if ref.startswith("arn:"):
            parts = ref.split(":")
            ref = parts[6] if len(parts) > 6 else ref
        fns = self.functions
        for fn in fns:
            if ref in (fn.name, fn.qualified_id):
                return fn
        matches = [fn for fn in fns if fn.logical_id == ref]
        return matches[0] if len(matches) == 1 else None
