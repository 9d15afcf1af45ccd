"""What S3's operations share: the store, the blobs, the clock, and receiving a body.

A body is received as it arrives: each chunk goes to the blob's temp file and through
the MD5 and the checksums asked for, so nothing holds the whole object. It becomes a
blob only once complete and verified (Content-MD5, ``x-amz-checksum-*`` in a header or
an aws-chunked trailer); a mismatch discards it (``BadDigest``) and nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError, RequestBody

from . import checksums
from .blobs import BlobStore
from .errors import no_such_bucket
from .notifications import Note, notes
from .records import Bucket, ObjectVersion
from .store import S3Db

OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OWNER_NAME = "serverlite"


@dataclass(frozen=True)
class Received:
    blob: str
    size: int
    md5: bytes
    checksum: dict[str, str]  # algorithm -> base64 (the ones asked for or sent)


@dataclass
class S3Context:
    db: S3Db
    blobs: BlobStore
    region: str
    account_id: str
    clock: Callable[[], float]
    wake: Callable[[], None] = lambda: None  # notifications were written: deliver them

    def bucket(self, name: str) -> Bucket:
        found = self.db.bucket(name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def emit(
        self, event: str, bucket: Bucket, version: ObjectVersion, request: Mapping[str, Any]
    ) -> list[Note]:
        """The notifications of an object event, to commit with the change."""
        found = notes(event, version, bucket, request, self.account_id, self.clock())
        if found:
            self.wake()  # runs once this request yields: after the commit
        return found

    async def receive(
        self, body: RequestBody, headers: Mapping[str, str], algorithm: str | None = None
    ) -> Received:
        """Stream the body to a new blob, checking what the client said it sent."""
        wanted = _algorithms(headers, algorithm)
        hashers = {name: checksums.hasher(name) for name in wanted}
        md5 = hashlib.md5()
        expected_md5 = _content_md5(headers.get("content-md5"))
        writer = self.blobs.writer()
        try:
            async for chunk in body.chunks():
                writer.write(chunk)
                md5.update(chunk)
                for hasher in hashers.values():
                    hasher.update(chunk)
            digest = md5.digest()
            if expected_md5 is not None and expected_md5 != digest:
                raise AwsError(
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                    400,
                    ExpectedDigest=expected_md5.hex(),
                    CalculatedDigest=base64.b64encode(digest).decode(),
                )
            computed = {name: checksums.encode(h.digest()) for name, h in hashers.items()}
            sent = {**checksums.sent(headers), **checksums.sent(body.trailers)}
            for name, value in sent.items():
                if computed.get(name) != value:
                    raise AwsError(
                        "BadDigest",
                        f"The {name} you specified did not match the calculated checksum.",
                        400,
                    )
            name = await writer.commit()
        except BaseException:
            writer.discard()
            raise
        return Received(name, writer.size, digest, computed)


def _algorithms(headers: Mapping[str, str], algorithm: str | None) -> list[str]:
    names = set(checksums.sent(headers))
    trailer = headers.get("x-amz-trailer", "").strip().lower()
    for candidate in (
        algorithm,
        headers.get("x-amz-sdk-checksum-algorithm"),
        headers.get("x-amz-checksum-algorithm"),
        trailer.removeprefix("x-amz-checksum-") if trailer.startswith("x-amz-checksum-") else None,
    ):
        if candidate:
            upper = candidate.upper()
            if upper not in checksums.ALGORITHMS:
                raise AwsError(
                    "InvalidRequest",
                    f"Checksum algorithm {candidate} is not supported by serverlite "
                    f"(supported: {', '.join(checksums.ALGORITHMS)})",
                    400,
                )
            names.add(upper)
    return sorted(names)


def _content_md5(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AwsError(
            "InvalidDigest", "The Content-MD5 you specified was not valid.", 400
        ) from exc
    if len(digest) != 16:
        raise AwsError("InvalidDigest", "The Content-MD5 you specified was not valid.", 400)
    return digest
