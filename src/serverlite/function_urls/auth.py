"""AuthType AWS_IAM: a function URL takes only SigV4-signed requests.

Lambda answers 403 ``{"Message":"Forbidden"}`` to a request that is not signed, or not
signed for ``lambda`` in the URL's region, or whose signature is older than 15 minutes.
serverlite checks that shape; it verifies the signature itself when the request is
signed with the credentials serverlite gives a function (it knows their secret:
``serverlite.iam.credentials``), and takes any other access key as AWS would take a
valid one (no IAM users here).
"""

from __future__ import annotations

import calendar
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.gateway.http import HttpRequest
from serverlite.iam import credentials

MAX_SKEW_S = 15 * 60  # SigV4's window: a signature older (or newer) than this is refused
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Caller:
    access_key: str


def known_keys(function_arns: list[str]) -> dict[str, credentials.Credentials]:
    """Access key -> credentials, for the functions serverlite runs."""
    keys = (credentials.for_function(arn) for arn in function_arns)
    return {key.access_key_id: key for key in keys}


def check(
    request: HttpRequest,
    region: str,
    host: str,
    now: float,
    known: Mapping[str, credentials.Credentials] | None = None,
) -> Caller | None:
    """The signer, or None when the request must be refused. A request signed with one
    of the ``known`` keys (the functions') must carry that key's valid signature."""
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
    keys = (known or {}).get(found["key"])
    if keys is not None and not _valid(
        request, found["signature"], signed, region, host, amz_date, keys
    ):
        return None
    return Caller(found["key"])


def _valid(
    request: HttpRequest,
    signature: str,
    signed: list[str],
    region: str,
    host: str,
    date: str,
    keys: credentials.Credentials,
) -> bool:
    headers = {name: request.header(name) or "" for name in signed}
    headers["host"] = request.header("host") or host
    url = f"http://{headers['host']}{request.path}" + (f"?{request.query}" if request.query else "")
    # botocore's signer: imported when an AWS_IAM URL is first called, not at every start
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    aws_request = AWSRequest(request.method, url, data=request.body, headers=headers)
    aws_request.context["timestamp"] = date
    signer = SigV4Auth(
        Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token),
        "lambda",
        region,
    )
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
