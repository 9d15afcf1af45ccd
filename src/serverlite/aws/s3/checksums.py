"""What S3 computes over an object's bytes: the MD5 ETag and the flexible checksums.

An ETag is the hex MD5 of the bytes in quotes; a multipart object's is the MD5 of its
parts' binary MD5s, then ``-`` and the number of parts (``"...-3"``). Checksums are
base64 of the big-endian digest: CRC32 and CRC32C (4 bytes), SHA1, SHA256. A
multipart object's checksum is COMPOSITE by default: the checksum of the parts'
checksums, ``-N`` (botocore does not validate those); with ``x-amz-checksum-type:
FULL_OBJECT`` (CRC32/CRC32C only) it is the checksum of the whole object.
CRC64NVME (AWS's default when a client sends none) is not computed.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256")
FULL_OBJECT_ALGORITHMS = ("CRC32", "CRC32C")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, crc32c: bool) -> None:
        self._update: Callable[[bytes, int], int] = zlib.crc32
        if crc32c:
            import crc32c as castagnoli  # when an object asks for it, not at every start

            self._update = castagnoli.crc32c
        self.value = 0

    def update(self, data: bytes, /) -> None:
        self.value = self._update(data, self.value)

    def digest(self) -> bytes:
        return (self.value & 0xFFFFFFFF).to_bytes(4, "big")


def hasher(algorithm: str) -> Hasher:
    if algorithm == "CRC32":
        return _Crc(False)
    if algorithm == "CRC32C":
        return _Crc(True)
    if algorithm == "SHA1":
        return hashlib.sha1()
    if algorithm == "SHA256":
        return hashlib.sha256()
    raise ValueError(algorithm)


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def header(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm.lower()}"


def sent(headers: Mapping[str, str]) -> dict[str, str]:
    """The checksums a request sent in headers (or trailers): algorithm -> base64."""
    return {
        algorithm: headers[header(algorithm)]
        for algorithm in ALGORITHMS
        if header(algorithm) in headers
    }


def multipart_etag(part_md5s: Iterable[bytes]) -> str:
    digests = list(part_md5s)
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def composite(algorithm: str, part_checksums: Iterable[str]) -> str:
    """The checksum of the parts' checksums, with the number of parts."""
    digests = [base64.b64decode(value) for value in part_checksums]
    combined = hasher(algorithm)
    combined.update(b"".join(digests))
    return f"{encode(combined.digest())}-{len(digests)}"
