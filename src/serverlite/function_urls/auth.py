"""AuthType AWS_IAM: a function URL takes only SigV4-signed requests.

Lambda answers 403 ``{"Message":"Forbidden"}`` to a request that is not signed, or not
signed for ``lambda`` in the URL's region, or whose signature is older than 15 minutes.
serverlite checks that shape; it verifies the signature itself when the request is
signed with the credentials serverlite gives functions (it knows their secret), and
takes any other access key as AWS would take a valid one (no IAM users here).
"""

from __future__ import annotations

import calendar
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from serverlite.functions.environment import DUMMY_CREDENTIALS
from serverlite.gateway.http import HttpRequest

MAX_SKEW_S = 15 * 60  # SigV4's window: a signature older (or newer) than this is refused
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Caller:
    access_key: str


def check(request: HttpRequest, region: str, host: str, now: float) -> Caller | None:
    """The signer, or None when the request must be refused."""
    found = _AUTHORIZATION.match(request.header("authorization") or "")
    amz_date = request.header("x-amz-date") or ""
    if found is None or found["service"] != "lambda" or found["region"] != region:
        return None
    signed = found["signed"].split(";")
    if "host" not in signed or not amz_date.startswith(found["date"]):
        return None
    try:
        stamp = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None
    if abs(now - stamp) > MAX_SKEW_S:
        return None
    if found["key"] == DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"] and not _valid(
        request, found["signature"], signed, region, host, amz_date
    ):
        return None
    return Caller(found["key"])


def _valid(
    request: HttpRequest, signature: str, signed: list[str], region: str, host: str, date: str
) -> bool:
    headers = {name: request.header(name) or "" for name in signed}
    headers["host"] = request.header("host") or host
    url = f"http://{headers['host']}{request.path}" + (f"?{request.query}" if request.query else "")
    aws_request = AWSRequest(request.method, url, data=request.body, headers=headers)
    aws_request.context["timestamp"] = date
    credentials = Credentials(
        DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
    )
    signer = SigV4Auth(credentials, "lambda", region)
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    return hmac.compare_digest(expected, signature)


def iam_context(caller: Caller, account_id: str) -> dict[str, Any]:
    """``requestContext.authorizer.iam`` of the event."""
    return {
        "accessKey": caller.access_key,
        "accountId": account_id,
        "callerId": caller.access_key,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{account_id}:user/{caller.access_key}",
        "userId": caller.access_key,
    }
