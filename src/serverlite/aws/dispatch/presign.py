"""Presigned URLs (SigV4 query authentication): their expiry, as S3 enforces it.

A SigV2 presigned URL (boto3's default for S3) carries ``Expires``, an epoch second.
A SigV4 one carries ``X-Amz-Date`` (when it was signed, ``20261207T132000Z``) and
``X-Amz-Expires`` (seconds, at most 604,800: a week). Past that, S3 answers 403
``AccessDenied`` "Request has expired" with the times; an expiry over a week is
``AuthorizationQueryParametersError``. The time is the service's clock, so a test that
moves the clock expires URLs. Signatures are not verified (no endpoint check does).
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Mapping

from serverlite.aws.backend import AwsError

MAX_EXPIRES = 604_800


def _parse(stamp: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def check_expiry(query: Mapping[str, str], clock: Callable[[], float] | None) -> None:
    now = (clock or time.time)()
    if "Signature" in query and "Expires" in query:  # SigV2: Expires is an epoch second
        if not query["Expires"].isdigit():
            raise AwsError("AccessDenied", "Invalid date (should be seconds since epoch)", 403)
        if now > int(query["Expires"]):
            raise AwsError(
                "AccessDenied",
                "Request has expired",
                403,
                Expires=_iso(int(query["Expires"])),
                ServerTime=_iso(now),
            )
        return
    if "X-Amz-Signature" not in query or "X-Amz-Expires" not in query:
        return
    raw = query["X-Amz-Expires"]
    if not raw.isdigit():
        raise AwsError(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires should be a number",
            400,
        )
    expires = int(raw)
    if expires > MAX_EXPIRES:
        raise AwsError(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            400,
        )
    signed = _parse(query.get("X-Amz-Date", ""))
    if signed is None:
        raise AwsError(
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            400,
        )
    if now > signed + expires:
        raise AwsError(
            "AccessDenied",
            "Request has expired",
            403,
            **{
                "X-Amz-Expires": str(expires),
                "Expires": _iso(signed + expires),
                "ServerTime": _iso(now),
            },
        )
