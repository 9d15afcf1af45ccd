"""Service credentials from Secrets Manager, fetched once per warm environment."""

from __future__ import annotations

import os
from functools import lru_cache

import boto3


@lru_cache(maxsize=8)
def secret(secret_id: str | None = None) -> str:
    name = secret_id or os.environ["SERVICE_TOKEN_SECRET"]
    value = boto3.client("secretsmanager").get_secret_value(SecretId=name)
    return str(value["SecretString"])
