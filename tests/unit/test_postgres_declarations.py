"""Custom::ServerlitePostgres: reading a secret's connection, printing URLs. No I/O."""

from __future__ import annotations

import pytest

from serverlite.aws.postgres.declarations import connection_url
from serverlite.aws.postgres.service import redact


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ({"url": "postgresql://a:b@h/db"}, "postgresql://a:b@h/db"),
        ({"url": "  "}, None),
        ({"url": ""}, None),  # the template's default: run the embedded server
        (None, None),
        ("postgresql://x", None),
        (
            {"host": "db.example", "port": 6543, "username": "app", "password": "p@ss/w"},
            "postgresql://app:p%40ss%2Fw@db.example:6543/postgres",
        ),
        ({"host": "h", "dbname": "patients"}, "postgresql://postgres:@h:5432/patients"),
    ],
)
def test_connection_urls_from_secret_values(value, url):
    assert connection_url(value) == url


def test_printed_urls_hide_passwords():
    assert redact("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("postgresql://postgres:@/x?host=/tmp") == "postgresql://postgres:@/x?host=/tmp"
