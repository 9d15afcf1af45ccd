"""Bucket names and keys as S3 takes them, and the names AWS derives from a bucket."""

from __future__ import annotations

import ipaddress
import re

from .errors import invalid_bucket_name, key_too_long

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MAX_KEY_BYTES = 1024


def check_bucket_name(name: str) -> None:
    """S3's general-purpose bucket naming rules (3-63 chars, lowercase, no IP form)."""
    if (
        not _BUCKET.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith(_RESERVED_SUFFIXES)
        or _is_ip(name)
    ):
        raise invalid_bucket_name(name)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def check_key(key: str) -> None:
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise key_too_long(key)


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def domain_name(name: str) -> str:
    return f"{name}.s3.amazonaws.com"


def regional_domain_name(name: str, region: str) -> str:
    return f"{name}.s3.{region}.amazonaws.com"
