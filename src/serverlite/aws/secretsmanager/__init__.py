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

from .service import SecretsManagerService, create

__all__ = ["SecretsManagerService", "create"]
