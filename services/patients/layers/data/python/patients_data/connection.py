"""One PostgreSQL connection per warm execution environment.

The credentials come from the Secrets Manager secret named by ``DATABASE_SECRET_ARN``:
either ``{"url": "postgresql://..."}`` or RDS's form (``host``, ``port``, ``username``,
``password``, ``dbname``). They are fetched on the first use; a connection that broke
(the server restarted, the network dropped) is thrown away with its credentials, so
the next invocation reads the secret again (it may have been rotated) and reconnects.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any
from urllib.parse import quote

import boto3
import psycopg

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 5000

_connection: psycopg.Connection[Any] | None = None
_url: str | None = None


class DatabaseUnavailable(Exception):
    """The database cannot be reached now; the caller answers 503."""


def url_from_secret(value: Any) -> str:
    if not isinstance(value, dict):
        raise DatabaseUnavailable("the database secret is not a JSON object")
    url = value.get("url")
    if isinstance(url, str) and url.strip():
        return url.strip()
    host = value.get("host")
    if not isinstance(host, str) or not host:
        raise DatabaseUnavailable("the database secret names no url or host")
    user = quote(str(value.get("username") or value.get("user") or "postgres"), safe="")
    password = quote(str(value.get("password") or ""), safe="")
    dbname = quote(str(value.get("dbname") or "postgres"), safe="")
    return f"postgresql://{user}:{password}@{host}:{value.get('port') or 5432}/{dbname}"


def _secret_url() -> str:
    global _url
    if _url is None:
        secret = boto3.client("secretsmanager").get_secret_value(
            SecretId=os.environ["DATABASE_SECRET_ARN"]
        )
        try:
            _url = url_from_secret(json.loads(secret.get("SecretString") or ""))
        except ValueError:
            raise DatabaseUnavailable("the database secret is not JSON") from None
    return _url


def connection() -> psycopg.Connection[Any]:
    """The environment's connection (autocommit; use ``conn.transaction()`` to group)."""
    global _connection
    if _connection is not None and not _connection.closed and not _connection.broken:
        return _connection
    try:
        _connection = psycopg.connect(
            _secret_url(),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            application_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "patients")[:63],
        )
    except psycopg.OperationalError:
        reset()
        raise DatabaseUnavailable("cannot connect to the database") from None
    return _connection


def reset() -> None:
    """Forget the connection and the credentials (after the connection failed)."""
    global _connection, _url
    conn, _connection, _url = _connection, None, None
    if conn is not None:
        with contextlib.suppress(psycopg.Error):
            conn.close()
