"""The emulated AWS services: the only module that imports their packages.

Adding a service is its package under ``serverlite/aws/`` (whose ``__init__`` has
``create(context) -> Backend``, see ``backend.py``) and one entry in ``SERVICES``.
The order is the order resources are provisioned in: PostgreSQL fills secrets, so it
comes after Secrets Manager.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
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


# What the startup line names each package's services (its backend, then companions),
# so a service not built yet is named too. test_registry checks it against the backends.
TITLES: dict[str, tuple[str, ...]] = {
    "ssm": ("SSM Parameter Store",),
    "secretsmanager": ("Secrets Manager",),
    "dynamodb": ("DynamoDB", "DynamoDB Streams"),
    "kinesis": ("Kinesis Data Streams",),
    "sqs": ("SQS",),
    "sns": ("SNS",),
    "events": ("EventBridge + Scheduler",),
    "stepfunctions": ("Step Functions",),
    "postgres": ("PostgreSQL",),
    "s3": ("S3",),
    "stream_mappings": ("Stream event source mappings",),
    "xray": ("X-Ray",),
    "cloudwatch": ("CloudWatch",),
    "logs": ("CloudWatch Logs",),
}

# What each package keeps under the state directory once it has been built: a service
# with none of these has nothing to resume (no executions, schedules, deliveries,
# alarms), so a start builds it only when something asks for it. A package whose data
# is in the observer's stores (X-Ray, CloudWatch Logs) says itself: ``kept(state_dir)``.
STATE: dict[str, tuple[str, ...]] = {
    "ssm": ("ssm.db",),
    "secretsmanager": ("secretsmanager.db",),
    "dynamodb": ("dynamodb.db",),
    "kinesis": ("kinesis.db",),
    "sqs": ("sqs.db",),
    "sns": ("sns.db",),
    "events": ("events.db",),
    "stepfunctions": ("stepfunctions.db",),
    "postgres": ("postgres",),
    "s3": ("s3.db", "s3"),
    "stream_mappings": ("stream_mappings.db",),
    "cloudwatch": ("alarms.db",),
}


def titles(packages: tuple[ServicePackage, ...] = SERVICES) -> list[str]:
    """Every emulated service's title, built or not, in the registry's order."""
    return [title for p in packages for title in TITLES.get(package_name(p), ())]


def with_state(state_dir: Path, packages: tuple[ServicePackage, ...] = SERVICES) -> frozenset[str]:
    """The packages that have kept something under ``state_dir`` to resume."""
    return frozenset(package_name(p) for p in packages if _kept(p, state_dir))


def _kept(package: ServicePackage, state_dir: Path) -> bool:
    kept = getattr(package, "kept", None)
    if kept is not None:
        return bool(kept(state_dir))
    files = STATE.get(package_name(package))
    return files is None or any((state_dir / file).exists() for file in files)


@dataclass
class Services:
    backends: list[Backend]  # built so far (``build_deferred`` adds the rest)
    aws: LocalAws  # the same client every backend got in its context
    deferred: list[ServicePackage] = field(default_factory=list)  # not built yet
    context: ServiceContext | None = None
    # Of the deferred, those built soon after start (they kept state to resume); the
    # others are built when something asks for a service not built yet.
    soon: frozenset[str] = frozenset()

    def pending_soon(self) -> bool:
        return any(package_name(p) in self.soon for p in self.deferred)

    def build_deferred(self, count: int | None = None, *, soon: bool = False) -> list[Backend]:
        """Build the services left for later (``count`` of them; None: all; ``soon``:
        only those built soon after start); the backends that were added."""
        chosen = [p for p in self.deferred if not soon or package_name(p) in self.soon]
        packages = chosen[:count] if count is not None else chosen
        self.deferred = [p for p in self.deferred if p not in packages]
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
    soon: Collection[str] = (),
) -> Services:
    """Every service, each given a context whose ``aws`` client reaches all of them.

    ``first``: build only these packages now (by package name: the ones the template
    uses); the others wait in ``deferred`` for ``Services.build_deferred`` (importing
    and opening a service costs start-up time that a first request should not wait
    for; ``soon``: of those, the ones to build soon after start, the others when
    something asks for one). Meanwhile the client builds them when asked for one it lacks."""
    aws = LocalAws()
    shared = replace(context, aws=aws)
    now = [p for p in packages if first is None or package_name(p) in first]
    later = [p for p in packages if first is not None and package_name(p) not in first]
    backends = _create(shared, now)
    _check_names(backends)
    aws.bind(backends)
    return Services(backends, aws, later, shared, frozenset(soon))


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
