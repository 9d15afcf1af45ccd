"""Load a SAM application (the root template and its nested ones) into frozen specs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from serverlite.defaults import AWS_ENDPOINT_URL
from serverlite.errors import TemplateError, TemplateErrors

from .checks import check_functions
from .context import AppContext
from .env_vars import EnvVars, apply_env_vars
from .function_specs import FUNCTION_TYPES, build_event_invoke_config, build_function
from .layers import LAYER_TYPES, build_layer
from .model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    Application,
    FunctionSpec,
    LayerSpec,
    ResourceSpec,
    StackSpec,
)
from .nested import NESTED_TYPES
from .parameters import UnsetParameter, parse_parameter_overrides, placeholder
from .raw_resources import RawResource
from .resources import DEFAULT_RESOURCE_TYPES, ResourceType
from .stack import Stack

__all__ = ["load_application", "parse_parameter_overrides"]

T = TypeVar("T")

_EVENT_INVOKE_CONFIG = "AWS::Lambda::EventInvokeConfig"
_DEFINITION_TYPES = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")
# Properties a parameter's placeholder cannot stand in for (UNSET-Name breaks the rules).
_NEEDS_REAL_VALUE = {"AWS::S3::Bucket": ("BucketName",)}  # lowercase only
# SAM-generated resources templates may Ref but nothing serves: not listed as resources.
_UNLISTED_IMPLICIT = (
    "AWS::IAM::Role",
    "AWS::Lambda::Permission",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGatewayV2::Stage",
)


def load_application(
    template_path: Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT_ID,
    stack_name: str = "serverlite",
    endpoint_url: str = AWS_ENDPOINT_URL,
    resource_types: Mapping[str, ResourceType] | None = None,
    env_vars: EnvVars | None = None,
) -> Application:
    """Read ``template_path`` and every nested template into an :class:`Application`.

    Raises :class:`TemplateErrors` listing every problem found (template errors and
    serverlite's checks), so nothing starts on a bad template. ``resource_types``
    adds to / overrides what Ref and Fn::GetAtt return per resource type.
    """
    app = AppContext[Stack](
        region=region,
        account_id=account_id,
        stack_name=stack_name,
        endpoint_url=endpoint_url,
        resource_types={**DEFAULT_RESOURCE_TYPES, **(resource_types or {})},
    )
    template_path = Path(template_path)
    overrides = dict(parameter_overrides or {})
    root = Stack(
        app,
        template_file=template_path,
        template=app.template(template_path),
        name=stack_name,
        aws_stack_name=stack_name,
        parameter_overrides=overrides,
    )
    for name in overrides:
        if name not in root.parameters:
            app.warn(f"{root.file}: parameter override {name} is not a parameter of the template")
    return _Assembler(app, env_vars).application(root)


class _Assembler:
    """Builds the specs of every stack, collecting every error before raising."""

    def __init__(self, app: AppContext[Stack], env_vars: EnvVars | None = None) -> None:
        self.app = app
        self.env_vars = env_vars
        self.errors: list[TemplateError] = []
        self.layers: dict[Stack, list[LayerSpec]] = {}
        self.functions: dict[Stack, list[FunctionSpec]] = {}

    def attempt(self, compute: Callable[[], T]) -> T | None:
        try:
            return compute()
        except TemplateErrors as exc:
            self.errors.extend(exc.errors)
        except TemplateError as exc:
            self.errors.append(exc)
        return None

    def active(self, stack: Stack, types: Any) -> list[RawResource]:
        chosen = [r for r in stack.resources.values() if r.type in types]
        return [r for r in chosen if self.attempt(partial(stack.is_active, r))]

    def application(self, root: Stack) -> Application:
        self.app.open_all_stacks()
        stacks = list(self.app.stacks)  # every stack opened, in discovery order
        known_layers: dict[str, LayerSpec] = {}
        for stack in stacks:
            self.layers[stack] = []
            for resource in self.active(stack, LAYER_TYPES):
                layer = self.attempt(partial(build_layer, stack, resource))
                if layer is not None:
                    self.layers[stack].append(layer)
                    known_layers[layer.arn] = layer
        for stack in stacks:
            self.functions[stack] = []
            for resource in self.active(stack, FUNCTION_TYPES):
                fn = self.attempt(partial(build_function, stack, resource, known_layers))
                if fn is not None:
                    self.functions[stack].append(self._with_env_vars(fn))
            self._attach_event_invoke_configs(stack)
        spec = self.stack_spec(root)
        for stack in stacks:
            self.errors.extend(stack.errors)
        self._check_exports(stacks)
        application = Application(
            root=spec,
            region=self.app.region,
            account_id=self.app.account_id,
            warnings=tuple(self.app.warnings),
        )
        self.errors.extend(check_functions(application.functions))
        if self.errors:
            raise TemplateErrors(_unique(self.errors))
        return dataclasses.replace(
            application, warnings=(*self._unset_warnings(), *application.warnings)
        )

    def _unset_warnings(self) -> list[str]:
        return [
            f"{file}: Parameters.{name}: no value given and no Default; serverlite starts "
            f"with the placeholder {placeholder(name)!r} wherever it is used ({hint})"
            for name, (file, hint) in self.app.unset.items()
        ]

    def _with_env_vars(self, fn: FunctionSpec) -> FunctionSpec:
        if self.env_vars is None:
            return fn
        environment, ignored = apply_env_vars(fn, self.env_vars)
        if ignored:
            # sam local sets only variables the template declares; so does serverlite.
            self.app.warn(
                f"--env-vars: {fn.qualified_id} does not declare {', '.join(sorted(ignored))} "
                "in Environment.Variables; ignored (as sam local ignores it)"
            )
        return dataclasses.replace(fn, environment=environment)

    def _attach_event_invoke_configs(self, stack: Stack) -> None:
        functions = self.functions[stack]
        for resource in self.active(stack, (_EVENT_INVOKE_CONFIG,)):
            found = self.attempt(partial(build_event_invoke_config, stack, resource))
            if found is None:
                continue
            target, config, path = found
            for index, fn in enumerate(functions):
                if target in (fn.name, fn.arn, fn.logical_id):
                    origins = {**fn.origins, "EventInvokeConfig": path}
                    functions[index] = dataclasses.replace(
                        fn, event_invoke_config=config, origins=origins
                    )
                    break
            else:
                self.errors.append(
                    stack.error(f"{path}.FunctionName", f"no function {target!r} in this template")
                )

    def stack_spec(self, stack: Stack) -> StackSpec:
        resources: list[ResourceSpec] = []
        nested: list[StackSpec] = []
        skipped = (*LAYER_TYPES, *FUNCTION_TYPES, _EVENT_INVOKE_CONFIG)
        others = [r for r in stack.resources.values() if r.type not in skipped]
        for resource in self.active(stack, {r.type for r in others}):
            if resource.type in NESTED_TYPES:
                where = f"Resources.{resource.logical_id}"
                child = self.attempt(partial(stack.child, resource.logical_id, where))
                if child is not None:
                    nested.append(self.stack_spec(child))
                continue
            spec = self.attempt(partial(self.resource_spec, stack, resource))
            if spec is not None:
                resources.append(spec)
        for resource in stack.implicit.values():
            # The implicit APIs are listed so the gateway uses the ids Ref gives them.
            if resource.type not in _UNLISTED_IMPLICIT:
                implicit = self.attempt(partial(self.resource_spec, stack, resource))
                if implicit is not None:
                    resources.append(implicit)
        outputs: dict[str, Any] = {}
        exports: dict[str, Any] = {}
        for name, body in stack.outputs.items():
            condition = body.get("Condition") if isinstance(body, dict) else None
            where = f"Outputs.{name}"
            if isinstance(condition, str) and not self.attempt(
                partial(stack.condition, condition, f"{where}.Condition")
            ):
                continue
            value = self.attempt(partial(stack.output, name, where))
            if value is not None:
                outputs[name] = value
                export = stack.export_name(name)
                if export is not None:
                    exports[export] = value
        return StackSpec(
            name=stack.name,
            path=stack.path,
            template_file=stack.template_file,
            parameters={name: p.text for name, p in stack.parameters.items()},
            functions=tuple(self.functions.get(stack, ())),
            layers=tuple(self.layers.get(stack, ())),
            resources=tuple(resources),
            outputs=outputs,
            nested=tuple(nested),
            exports=exports,
            aws_stack_name=stack.aws_stack_name,
            stack_id=stack.stack_id,
        )

    def resource_spec(self, stack: Stack, resource: RawResource) -> ResourceSpec:
        properties = stack.properties(resource.logical_id)
        where = f"Resources.{resource.logical_id}"
        for name in _NEEDS_REAL_VALUE.get(resource.type, ()):
            stack.require_value(properties.get(name), f"{where}.Properties.{name}")
        uri = properties.get("DefinitionUri")
        if resource.type in _DEFINITION_TYPES and uri is not None:
            if not isinstance(uri, str):
                raise stack.error(
                    f"{where}.Properties.DefinitionUri",
                    "points at S3; serverlite reads only a local file (a path next to "
                    "the template)",
                )
            # SAM uploads the file as the API's definition; its intrinsics are resolved
            # here too (on AWS they would need AWS::Include).
            body_path = f"{where}.Properties.DefinitionUri"
            body = stack.resolver.resolve(stack.include(uri, body_path), body_path)
            properties = {**properties, "DefinitionBody": body}
        return ResourceSpec(
            logical_id=resource.logical_id,
            stack_path=stack.path,
            type=resource.type,
            properties=properties,
            physical_id=str(stack.ref(resource.logical_id, where)),
            attributes=stack.attributes(resource),
        )

    def _check_exports(self, stacks: list[Stack]) -> None:
        owners: dict[str, tuple[Stack, str]] = {}
        for stack in stacks:
            for name in stack.output_names():
                export = stack.export_name(name)
                if export is None:
                    continue
                first, first_output = owners.setdefault(export, (stack, name))
                if (first, first_output) != (stack, name):
                    self.errors.append(
                        stack.error(
                            f"Outputs.{name}.Export.Name",
                            f"export name {export!r} is already exported by "
                            f"{first.file} Outputs.{first_output}",
                        )
                    )


def _unique(errors: list[TemplateError]) -> list[TemplateError]:
    """Each error once (a parameter without a value once, wherever it is needed), root
    causes first: a missing value or an unknown name explains the errors it causes."""
    seen: set[tuple[str, str, str]] = set()
    result = []
    for error in errors:
        key = (error.file, error.path, error.message)
        if isinstance(error, UnsetParameter):
            key = (error.file, error.path, "")
        if key not in seen:
            seen.add(key)
            result.append(error)
    return sorted(result, key=root_cause_rank)


_ROOT_CAUSES = ("Ref to unknown", "of unknown resource", "is not supported", "unknown condition")


def root_cause_rank(error: TemplateError) -> int:
    """0 for errors that cause others (unset parameters, unknown names), else 1."""
    if isinstance(error, UnsetParameter):
        return 0
    return 0 if any(cause in error.message for cause in _ROOT_CAUSES) else 1
