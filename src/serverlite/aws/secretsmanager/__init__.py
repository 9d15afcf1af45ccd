"""Secrets Manager: CreateSecret, GetSecretValue, PutSecretValue, UpdateSecret,
DeleteSecret, RestoreSecret, DescribeSecret, ListSecrets, ListSecretVersionIds,
GetRandomPassword.

    names       secret names, ARNs (with AWS's random suffix), SecretId matching
    passwords   GetRandomPassword and CloudFormation's GenerateSecretString
    staging     AWSCURRENT / AWSPREVIOUS label moves
    records     a stored secret and version
    store       SQLite (WAL): secrets, versions (encrypted), labels, template fingerprints
    listing     ListSecrets / DescribeSecret shapes, filters, paging
    operations  the API, one method per operation
    service     the backend: endpoint and AWS::SecretsManager::Secret provisioning
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import SecretsManagerService

    return SecretsManagerService(context)
