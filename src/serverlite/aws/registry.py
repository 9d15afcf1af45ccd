"""The emulated AWS services: the only module that imports their packages.

Adding a service is its package under ``serverlite/aws/`` (whose ``__init__`` has
``create(context) -> Backend``, see ``backend.py``) and one entry in ``SERVICES``.
The order is the order resources are provisioned in: PostgreSQL fills secrets, so it
comes after Secrets Manager.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Services:
    backends: tuple[Backend, ...]
    aws: LocalAws  # the same client every backend got in its context


def service_names(packages: tuple[ServicePackage, ...] = SERVICES) -> frozenset[str]:
    """The emulated services by package name ("dynamodb", "sqs", ...), for what the
    template layer says is emulated (``template/coverage.py``)."""
    return frozenset(getattr(p, "__name__", "").rsplit(".", 1)[-1] for p in packages)


def build(context: ServiceContext, packages: tuple[ServicePackage, ...] = SERVICES) -> Services:
    """Every service, each given a context whose ``aws`` client reaches all of them."""
    aws = LocalAws()
    shared = replace(context, aws=aws)
    made = [package.create(shared) for package in packages]
    backends = tuple(b for backend in made for b in (backend, *backend.companions()))
    names = [backend.name for backend in backends]
    if "" in names or len(set(names)) != len(names):
        raise RuntimeError(f"every service needs a name of its own, got {names}")
    aws.bind(backends)
    return Services(backends, aws)
