"""Conditional requests and byte ranges, as S3 evaluates them.

Reads (GET, HEAD): ``If-Match`` that fails is 412; without it, a failing
``If-Unmodified-Since`` is 412. Then ``If-None-Match`` that matches is 304; without
it, ``If-Modified-Since`` with no change since is 304. (So If-Match true with
If-Unmodified-Since false answers 200, and If-None-Match false with If-Modified-Since
true answers 200, as RFC 7232 and S3 say.) Times compare at HTTP-date precision.
Writes (PUT, CompleteMultipartUpload): ``If-None-Match: *`` refuses to overwrite an
existing object (412), ``If-Match`` requires the current ETag (412; 404 when there is
no object).

A range is ``bytes=first-last``, ``bytes=first-`` or ``bytes=-suffix``; one that
starts past the end is 416 ``InvalidRange``; one S3 cannot read (several ranges, bad
syntax) is ignored and the whole object sent, as S3 does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from serverlite.aws.backend import AwsError

from .errors import no_such_key, precondition_failed
from .records import ObjectVersion
from .xml import parse_http_date

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class NotModified(Exception):
    pass


def _etags(value: str) -> list[str]:
    return [tag.strip().removeprefix("W/").strip('"') for tag in value.split(",")]


def matches(etag: str, header: str) -> bool:
    wanted = _etags(header)
    return "*" in wanted or etag.strip('"') in wanted


def check_read(version: ObjectVersion, headers: Mapping[str, str], prefix: str = "") -> None:
    """Raise 412 (PreconditionFailed) or NotModified (304). ``prefix`` reads the
    copy-source conditions (``x-amz-copy-source-if-match``), which fail with 412 only."""
    modified = math.floor(version.modified)
    if_match = headers.get(f"{prefix}if-match")
    if if_match is not None:
        if not matches(version.etag, if_match):
            raise precondition_failed("If-Match")
    else:
        since = _date(headers.get(f"{prefix}if-unmodified-since"))
        if since is not None and modified > since:
            raise precondition_failed("If-Unmodified-Since")
    if_none_match = headers.get(f"{prefix}if-none-match")
    if if_none_match is not None:
        if matches(version.etag, if_none_match):
            _not_modified(prefix, "If-None-Match")
    else:
        since = _date(headers.get(f"{prefix}if-modified-since"))
        if since is not None and modified <= since:
            _not_modified(prefix, "If-Modified-Since")


def _not_modified(prefix: str, condition: str) -> None:
    if prefix:  # a copy's source condition: AWS answers 412, not 304
        raise precondition_failed(f"x-amz-copy-source-{condition}")
    raise NotModified


def _date(value: str | None) -> float | None:
    return None if value is None else parse_http_date(value)


def check_write(current: ObjectVersion | None, headers: Mapping[str, str], key: str) -> None:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise AwsError(
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
                501,
                Header="If-None-Match",
            )
        if current is not None and not current.delete_marker:
            raise precondition_failed("If-None-Match")
    if_match = headers.get("if-match")
    if if_match is not None:
        if current is None or current.delete_marker:
            raise no_such_key(key)
        if not matches(current.etag, if_match):
            raise precondition_failed("If-Match")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive, or None for the whole object."""
    if header is None:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first_text, last_text = match.groups()
    if first_text == "":  # the last N bytes
        suffix = int(last_text)
        # S3 answers 416 for any range on an empty object (a 206 could not name a
        # byte of it), suffix ranges included: the SDKs' download managers hit this.
        if suffix == 0 or size == 0:
            raise invalid_range(header, size)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else None
    if last is not None and last < first:
        return None  # not a valid range: ignored
    if first >= size:
        raise invalid_range(header, size)
    if last is None:
        last = size - 1
    return first, min(last, size - 1)


def invalid_range(header: str, size: int) -> AwsError:
    exc = AwsError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        RangeRequested=header,
        ActualObjectSize=str(size),
    )
    exc.headers["Content-Range"] = f"bytes */{size}"
    return exc
