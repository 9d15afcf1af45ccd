"""State shared by every stack of one application while it loads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from serverlite.errors import TemplateError

from .resources import ResourceType
from .yaml_loader import display_path, load_template


class OpenedStack(Protocol):
    """What the application needs of one of its stacks (``stack.Stack``, which imports
    this module: the protocol keeps the import one way)."""

    file: str

    def open_children(self) -> None: ...

    def output_names(self) -> list[str]: ...

    def output(self, name: str, path: str) -> Any: ...

    def export_name(self, name: str) -> str | None: ...


S = TypeVar("S", bound=OpenedStack)


class AppContext(Generic[S]):
    """Settings, warnings, the stacks opened so far, and the circular-reference guard."""

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        stack_name: str,
        endpoint_url: str,
        resource_types: Mapping[str, ResourceType],
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self.endpoint_url = endpoint_url
        self.resource_types = resource_types
        self.warnings: list[str] = []
        # Parameters with no value: name -> (file, how to give one); see parameters.py.
        self.unset: dict[str, tuple[str, str]] = {}
        self.stacks: list[S] = []
        self._chain: list[str] = []
        self._templates: dict[Path, dict[str, Any]] = {}

    @contextmanager
    def guard(self, key: str, file: str, path: str) -> Iterator[None]:
        """Raise when ``key`` is already being computed: a circular reference."""
        if key in self._chain:
            cycle = [*self._chain[self._chain.index(key) :], key]
            raise TemplateError(file, path, "circular reference: " + " -> ".join(cycle))
        self._chain.append(key)
        try:
            yield
        finally:
            self._chain.pop()

    def template(self, path: Path) -> dict[str, Any]:
        """A parsed template, read once even when nested several times."""
        key = path.resolve()
        if key not in self._templates:
            self._templates[key] = load_template(path, display_path(path))
        return self._templates[key]

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def open_all_stacks(self) -> None:
        """Open every nested stack (problems are left for the loader to report)."""
        index = 0
        while index < len(self.stacks):
            self.stacks[index].open_children()
            index += 1

    def import_value(self, name: str, requester: S, path: str) -> Any:
        """``Fn::ImportValue``: the value another stack of the application exports."""
        self.open_all_stacks()
        found = [
            (stack, output)
            for stack in self.stacks
            for output in stack.output_names()
            if stack.export_name(output) == name
        ]
        if not found:
            raise TemplateError(
                requester.file,
                path,
                f"Fn::ImportValue: no stack of the application exports '{name}' "
                "(serverlite cannot import exports of stacks deployed elsewhere)",
            )
        others = [(stack, output) for stack, output in found if stack is not requester]
        if not others:
            raise TemplateError(
                requester.file,
                path,
                f"Fn::ImportValue: '{name}' is exported by this same stack; CloudFormation "
                "cannot import a stack's own export (use Ref or Fn::GetAtt)",
            )
        if len(others) > 1:
            where = ", ".join(f"{stack.file} Outputs.{output}" for stack, output in others)
            raise TemplateError(
                requester.file, path, f"Fn::ImportValue: '{name}' is exported twice: {where}"
            )
        stack, output = others[0]
        return stack.output(output, path)
