"""The emulated AWS services: the only module that imports their packages.

Adding a service is its package under ``serverlite/aws/`` (whose ``__init__`` has
``create(context) -> Backend``, see ``backend.py``) and one entry in ``SERVICES``.
The order is the order resources are provisioned in: PostgreSQL fills secrets, so it
comes after Secrets Manager.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from serverlite.aws import (
    cloudwatch,
    dynamodb,
    events,
    kinesis,
    logs,
    postgres,
    s3,
    secretsmanager,
    sns,
    sqs,
    ssm,
    stepfunctions,
    stream_mappings,
    xray,
)
from serverlite.aws.backend import Backend, ServiceContext
from serverlite.aws.local_client import LocalAws


class ServicePackage(Protocol):
    def create(self, context: ServiceContext) -> Backend: ...


SERVICES: tuple[ServicePackage, ...] = (
    ssm,
    secretsmanager,
    dynamodb,
    kinesis,
    sqs,
    sns,
    events,
    stepfunctions,
    postgres,
    s3,
    stream_mappings,  # reads Kinesis and DynamoDB Streams through the local client
    xray,
    cloudwatch,
    logs,
)


@dataclass
class Services:
    backends: list[Backend]  # built so far (``build_deferred`` adds the rest)
    aws: LocalAws  # the same client every backend got in its context
    deferred: list[ServicePackage] = field(default_factory=list)  # not built yet
    context: ServiceContext | None = None

    def build_deferred(self, count: int | None = None) -> list[Backend]:
        """Build the services left for later (``count`` of them; None: all); the backends
        that were added."""
        if count is None:
            count = len(self.deferred)
        packages, self.deferred = self.deferred[:count], self.deferred[count:]
        if not packages or self.context is None:
            return []
        added = _create(self.context, packages)
        _check_names([*self.backends, *added])
        self.backends += added
        order = {package_name(p): i for i, p in enumerate(SERVICES)}
        # In place (the console holds this list), in the registry's order again.
        self.backends.sort(key=lambda b: order.get(_package_of(b), len(order)))
        self.aws.bind(added)
        return added


def package_name(package: ServicePackage) -> str:
    return getattr(package, "__name__", "").rsplit(".", 1)[-1]


def service_names(packages: tuple[ServicePackage, ...] = SERVICES) -> frozenset[str]:
    """The emulated services by package name ("dynamodb", "sqs", ...), for what the
    template layer says is emulated (``template/coverage.py``)."""
    return frozenset(package_name(p) for p in packages)


def build(
    context: ServiceContext,
    packages: tuple[ServicePackage, ...] = SERVICES,
    *,
    first: Collection[str] | None = None,
) -> Services:
    """Every service, each given a context whose ``aws`` client reaches all of them.

    ``first``: build only these packages now (by package name: the ones the template
    uses); the others wait in ``deferred`` for ``Services.build_deferred`` (importing
    and opening a service costs start-up time that a first request should not wait
    for). In the meantime the client waits for them when asked for one it lacks."""
    aws = LocalAws()
    shared = replace(context, aws=aws)
    now = [p for p in packages if first is None or package_name(p) in first]
    later = [p for p in packages if first is not None and package_name(p) not in first]
    backends = _create(shared, now)
    _check_names(backends)
    aws.bind(backends)
    return Services(backends, aws, later, shared)


def _create(context: ServiceContext, packages: Sequence[ServicePackage]) -> list[Backend]:
    made = [package.create(context) for package in packages]
    return [b for backend in made for b in (backend, *backend.companions())]


def _package_of(backend: Backend) -> str:
    """The package a backend (or its companion) comes from: serverlite.aws.<package>."""
    parts = type(backend).__module__.split(".")
    return parts[2] if len(parts) > 2 else ""


def _check_names(backends: Sequence[Backend]) -> None:
    names = [backend.name for backend in backends]
    if "" in names or len(set(names)) != len(names):
        raise RuntimeError(f"every service needs a name of its own, got {names}")
