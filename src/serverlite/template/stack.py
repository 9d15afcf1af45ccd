"""One template while it loads: names, lazily resolved properties, outputs, children.

A :class:`Stack` is the :class:`~serverlite.template.intrinsics.Scope` its template's
intrinsic functions are resolved against. Everything is computed on first use and
remembered (failures too), so resource order does not matter and each problem is
reported once; a value that needs itself is reported as a circular reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from serverlite.errors import TemplateError, TemplateErrors

from . import foreach, sam_generated
from .context import AppContext
from .globals import check_globals
from .intrinsics import NO_VALUE, Resolver
from .nested import NESTED_TYPES, child_parameters, child_template_path
from .parameters import ParameterValue, UnsetParameter, resolve_parameters, unset_names
from .raw_resources import RawResource, implicit_resources, read_resources
from .resources import ResourceType, ResourceView, UnknownAttribute, generic_type, get_attribute
from .yaml_loader import display_path, read_local_document

T = TypeVar("T")

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_KNOWN_TRANSFORMS = {SAM_TRANSFORM, "AWS::LanguageExtensions"}


@dataclass(frozen=True)
class _Failed:
    error: TemplateError


class Stack:
    """One template of the application (the root, or a nested application)."""

    def __init__(
        self,
        app: AppContext[Stack],
        *,
        template_file: Path,
        template: Mapping[str, Any],
        path: tuple[str, ...] = (),
        name: str,
        aws_stack_name: str,
        parameter_overrides: Mapping[str, str],
        ancestry: tuple[Path, ...] = (),
        parameters_given_by: str | None = None,
    ) -> None:
        self.app = app
        self.template_file = template_file
        self.file = display_path(template_file)
        self.path = path
        self.name = name
        self.aws_stack_name = aws_stack_name
        self.region = app.region
        self.ancestry = (*ancestry, template_file.resolve())
        self.stack_id = (
            f"arn:aws:cloudformation:{app.region}:{app.account_id}:stack/{aws_stack_name}/"
            + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{app.account_id}/{aws_stack_name}"))
        )
        self.resolver = Resolver(self)
        self.errors: list[TemplateError] = []
        self._cache: dict[str, Any] = {}
        self._label = "/".join(path) + "/" if path else ""
        self._check_transform(template.get("Transform"))
        self.parameters: dict[str, ParameterValue] = resolve_parameters(
            template.get("Parameters"),
            parameter_overrides,
            self.file,
            self.errors,
            app.warnings,
            given_by=parameters_given_by,
        )
        for param in self.parameters.values():
            if param.unset_hint is not None:
                app.unset.setdefault(param.name, (self.file, param.unset_hint))
        self.mappings = self._section(template, "Mappings")
        self.conditions, self.outputs = {}, {}
        self.resources: dict[str, RawResource] = {}
        self.implicit: dict[str, RawResource] = {}
        template = self._expand_loops(template)  # its collections may Ref parameters
        self.conditions = self._section(template, "Conditions")
        self.outputs = self._section(template, "Outputs")
        global_sections, errors = check_globals(template.get("Globals"), self.file)
        self.errors.extend(errors)
        self.resources = read_resources(
            template.get("Resources"), global_sections, self.file, self.errors
        )
        self.implicit.update(implicit_resources(self.resources, global_sections))
        self._add_sam_generated()
        app.stacks.append(self)

    # -- reading the template ---------------------------------------------------------

    def error(self, path: str, message: str) -> TemplateError:
        return TemplateError(self.file, path, message)

    def _section(self, template: Mapping[str, Any], name: str) -> dict[str, Any]:
        value = template.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.errors.append(self.error(name, "must be a mapping"))
            return {}
        return value

    def _expand_loops(self, template: Mapping[str, Any]) -> dict[str, Any]:
        """Fn::ForEach in Resources, Conditions and Outputs, expanded before anything else."""
        expanded = dict(template)
        for name in ("Conditions", "Resources", "Outputs"):
            try:
                expanded[name] = foreach.expand(
                    template.get(name), self.resolver.resolve, self.file, name
                )
            except TemplateError as exc:
                self.errors.extend(exc.errors if isinstance(exc, TemplateErrors) else [exc])
        return expanded

    def _check_transform(self, transform: Any) -> None:
        names = transform if isinstance(transform, list) else [transform] if transform else []
        for item in names:
            if item not in _KNOWN_TRANSFORMS:
                self.errors.append(
                    self.error("Transform", f"{item!r} is not supported (only {SAM_TRANSFORM})")
                )

    def _resolve_simple(self, value: Any) -> Any:
        """A value before resolution is possible: a literal, or a Ref to a parameter."""
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in self.parameters:
            return self.parameters[value["Ref"]].value
        return value

    def _add_sam_generated(self) -> None:
        """Versions, aliases and URLs SAM generates from function properties."""
        for resource in list(self.resources.values()):
            if resource.type != "AWS::Serverless::Function":
                continue
            made = sam_generated.generated(
                resource.logical_id, resource.properties, self._resolve_simple
            )
            for logical_id, (kind, props) in made.items():
                if logical_id not in self.resources:
                    self.implicit[logical_id] = RawResource(
                        logical_id, kind, props, {}, resource.condition, implicit=True
                    )

    # -- memoized computation -------------------------------------------------------

    def _cached(self, key: str, path: str, compute: Callable[[], T]) -> T:
        key = self._label + key
        if key in self._cache:
            value = self._cache[key]
            if isinstance(value, _Failed):
                raise value.error
            return value  # type: ignore[no-any-return]
        with self.app.guard(key, self.file, path):
            try:
                result = compute()
            except TemplateError as exc:
                self._cache[key] = _Failed(exc)
                raise
        self._cache[key] = result
        return result

    # -- the Scope the resolver asks -------------------------------------------------

    def ref(self, name: str, path: str) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(name, path)
        if name in self.parameters:
            return self.parameters[name].value
        if "." in name:  # SAM's Fn.Alias / Fn.Version
            name = self._dotted(name, path)
        resource = self._resource(name, "Ref", path)
        if resource.type in NESTED_TYPES:
            return self.child(name, path).stack_id
        return self._cached(
            f"Ref {name}", path, lambda: self.kind(resource).ref(self.view(resource))
        )

    def get_att(self, logical_id: str, attribute: str, path: str) -> Any:
        resource = self._resource(logical_id, "Fn::GetAtt", path)
        if resource.type in NESTED_TYPES:
            output = attribute.removeprefix("Outputs.")
            child = self.child(logical_id, path)
            if output == attribute or output not in child.outputs:
                raise self.error(
                    path, f"Fn::GetAtt: nested application {logical_id} has no output '{output}'"
                )
            return child.output(output, path)

        def compute() -> Any:
            try:
                return get_attribute(self.kind(resource), self.view(resource), attribute)
            except UnknownAttribute:
                raise self.error(
                    path,
                    f"Fn::GetAtt: {logical_id} ({resource.type}) has no attribute '{attribute}'",
                ) from None

        return self._cached(f"GetAtt {logical_id}.{attribute}", path, compute)

    def condition(self, name: str, path: str) -> bool:
        if name not in self.conditions:
            raise self.error(path, f"unknown condition '{name}'")
        expression = self.conditions[name]
        return self._cached(
            f"Condition {name}",
            path,
            lambda: self.resolver.evaluate_condition(expression, f"Conditions.{name}"),
        )

    def mapping(self, name: str, path: str) -> Mapping[str, Any]:
        table = self.mappings.get(name)
        if not isinstance(table, dict):
            raise self.error(path, f"Fn::FindInMap: unknown mapping '{name}'")
        return table

    def import_value(self, name: str, path: str) -> Any:
        return self.app.import_value(name, self, path)

    def include(self, location: str, path: str) -> Any:
        """An ``AWS::Include`` or ``DefinitionUri`` file: YAML or JSON, relative to the template."""
        return read_local_document(self.template_file, location, self.file, path)

    def require_value(self, value: Any, path: str) -> None:
        """Raise when ``value`` holds an unset parameter's placeholder: it is needed as is."""
        for name in unset_names(value):
            if name in self.app.unset:
                file, hint = self.app.unset[name]
                raise UnsetParameter(file, name, f"{self.file} {path}", hint)

    def _dotted(self, name: str, path: str) -> str:
        function_id = name.partition(".")[0]
        function = self.resources.get(function_id)
        if function is None or function.type != "AWS::Serverless::Function":
            raise self.error(path, f"Ref to unknown resource or parameter '{name}'")
        target = sam_generated.dotted_ref(name, function.properties, self._resolve_simple)
        if target is None:
            raise self.error(
                path,
                f"Ref {name}: {function_id} has no AutoPublishAlias, so SAM generates no "
                "alias or version to refer to",
            )
        return target

    def _pseudo(self, name: str, path: str) -> Any:
        values: dict[str, Any] = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.app.account_id,
            "AWS::StackName": self.aws_stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name not in values:
            raise self.error(path, f"unknown pseudo parameter '{name}'")
        return values[name]

    def _resource(self, logical_id: str, what: str, path: str) -> RawResource:
        resource = self.resources.get(logical_id) or self.implicit.get(logical_id)
        if resource is None:
            if what == "Ref":
                raise self.error(path, f"Ref to unknown resource or parameter '{logical_id}'")
            raise self.error(path, f"{what} of unknown resource '{logical_id}'")
        if not self.is_active(resource, path):
            raise self.error(
                path,
                f"{what} to {logical_id}, which is not created: "
                f"its condition {resource.condition} is false",
            )
        return resource

    # -- resources ------------------------------------------------------------------

    def is_active(self, resource: RawResource, path: str | None = None) -> bool:
        """False when the resource's Condition is false (it is not created)."""
        if resource.condition is None:
            return True
        return self.condition(
            resource.condition, path or f"Resources.{resource.logical_id}.Condition"
        )

    def kind(self, resource: RawResource) -> ResourceType:
        return self.app.resource_types.get(resource.type) or generic_type()

    def view(self, resource: RawResource) -> ResourceView:
        return ResourceView(
            logical_id=resource.logical_id,
            type=resource.type,
            stack_path=self.path,
            region=self.region,
            account_id=self.app.account_id,
            stack_name=self.aws_stack_name,
            endpoint_url=self.app.endpoint_url,
            prop_getter=lambda name: self.property(resource.logical_id, name),
            ordinal=self._ordinal(resource),
        )

    def _ordinal(self, resource: RawResource) -> int:
        """An AWS::Lambda::Version's number: 1 + the versions of the same function
        before it (CloudFormation publishes them in turn); 1 for anything else."""
        if resource.type != "AWS::Lambda::Version":
            return 1
        target = resource.properties.get("FunctionName")
        count = 1
        for other in (*self.resources.values(), *self.implicit.values()):
            if other is resource:
                return count
            if other.type == resource.type and other.properties.get("FunctionName") == target:
                count += 1
        return count

    def property(self, logical_id: str, name: str) -> Any:
        """One resolved property of a resource; None when absent (or AWS::NoValue)."""
        resource = self.resources.get(logical_id) or self.implicit[logical_id]
        if name not in resource.properties:
            return None
        path = f"Resources.{logical_id}.Properties.{name}"
        value = self._cached(
            f"{logical_id}.Properties.{name}",
            path,
            lambda: self.resolver.resolve(resource.properties[name], path),
        )
        return None if value is NO_VALUE else value

    def properties(self, logical_id: str) -> dict[str, Any]:
        """All resolved properties; every failing property is reported."""
        resource = self.resources.get(logical_id) or self.implicit[logical_id]
        result: dict[str, Any] = {}
        errors: list[TemplateError] = []
        for name in resource.properties:
            try:
                value = self.property(logical_id, name)
            except TemplateError as exc:
                errors.extend(exc.errors if isinstance(exc, TemplateErrors) else [exc])
                continue
            if value is not None:
                result[name] = value
        if errors:
            raise TemplateErrors(errors)
        return result

    def attributes(self, resource: RawResource) -> dict[str, Any]:
        """Every Fn::GetAtt value the type table knows for ``resource``."""
        view = self.view(resource)
        return {name: getter(view) for name, getter in self.kind(resource).attributes.items()}

    # -- nested stacks ---------------------------------------------------------------

    def child(self, logical_id: str, path: str) -> Stack:
        """The nested stack of an AWS::Serverless::Application resource (opened once)."""
        return self._cached(f"stack {logical_id}", path, lambda: self._open_child(logical_id))

    def _open_child(self, logical_id: str) -> Stack:
        resource = self.resources[logical_id]
        key = NESTED_TYPES[resource.type]
        where = f"Resources.{logical_id}.Properties"
        location = self.property(logical_id, key)
        self.require_value(location, f"{where}.{key}")
        template_path = child_template_path(
            self.template_file, location, self.file, f"{where}.{key}"
        )
        if template_path.resolve() in self.ancestry:
            raise self.error(f"{where}.{key}", "a nested application cannot include itself")
        given = child_parameters(
            self.property(logical_id, "Parameters"), self.file, f"{where}.Parameters"
        )
        child = Stack(
            self.app,
            template_file=template_path,
            template=self.app.template(template_path),
            path=(*self.path, logical_id),
            name=logical_id,
            aws_stack_name=f"{self.aws_stack_name}-{logical_id}",
            parameter_overrides=given,
            ancestry=self.ancestry,
            parameters_given_by=f"{self.file} {where}.Parameters",
        )
        for unknown in sorted(set(given) - set(child.parameters)):
            # CloudFormation rejects parameters the nested template does not declare.
            self.errors.append(
                self.error(
                    f"{where}.Parameters.{unknown}",
                    f"{child.file} declares no parameter {unknown}",
                )
            )
        return child

    def open_children(self) -> None:
        for resource in self.resources.values():
            if resource.type not in NESTED_TYPES:
                continue
            try:
                if self.is_active(resource):
                    self.child(resource.logical_id, f"Resources.{resource.logical_id}")
            except TemplateError:
                continue  # reported when the loader builds this resource

    # -- outputs ----------------------------------------------------------------------

    def output_names(self) -> list[str]:
        return list(self.outputs)

    def output(self, name: str, path: str) -> Any:
        """The resolved Value of one output."""
        body = self.outputs.get(name)
        where = f"Outputs.{name}"
        if not isinstance(body, dict) or "Value" not in body:
            raise self.error(where, "must be a mapping with a Value")
        if isinstance(body.get("Condition"), str) and not self.condition(body["Condition"], where):
            raise self.error(path, f"output {name} is not created: its condition is false")
        return self._cached(
            f"Output {name}", path, lambda: self.resolver.resolve(body["Value"], f"{where}.Value")
        )

    def export_name(self, name: str) -> str | None:
        """The output's Export.Name, or None (no export, false condition, or unresolvable)."""
        body = self.outputs.get(name)
        if not isinstance(body, dict) or not isinstance(body.get("Export"), dict):
            return None
        where = f"Outputs.{name}.Export.Name"
        try:
            if isinstance(body.get("Condition"), str) and not self.condition(
                body["Condition"], where
            ):
                return None
            value = self._cached(
                f"Export {name}",
                where,
                lambda: self.resolver.resolve(body["Export"].get("Name"), where),
            )
        except TemplateError:
            return None
        return value if isinstance(value, str) else None
