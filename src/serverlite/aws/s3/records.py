"""What the store keeps: buckets, object versions, multipart uploads and parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    created: float
    versioning: str  # "" (never enabled), "Enabled" or "Suspended"
    config: dict[str, Any] = field(default_factory=dict)  # cors, lifecycle, tags, notification


@dataclass(frozen=True)
class ObjectVersion:
    bucket: str
    key: str
    version_id: str  # "null" where versioning was never enabled (or is suspended)
    delete_marker: bool
    blob: str | None  # the file under blobs/ (None: a delete marker)
    size: int
    etag: str  # quoted, as sent in the ETag header
    modified: float  # epoch seconds
    headers: dict[str, str]  # stored response headers: Content-Type, x-amz-meta-*, ...
    checksum: dict[str, str] = field(default_factory=dict)  # {"CRC32": b64, "type": ...}
    tags: dict[str, str] = field(default_factory=dict)
    parts: int | None = None  # a multipart object's number of parts
    latest: bool = True
    id: int = 0  # the row: orders versions, newest highest


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    headers: dict[str, str]  # the object's headers, given at CreateMultipartUpload
    checksum: dict[str, str]  # {"algorithm": "CRC32", "type": "COMPOSITE"} or {}
    tags: dict[str, str]


@dataclass(frozen=True)
class Part:
    number: int
    blob: str
    size: int
    etag: str
    modified: float
    checksum: dict[str, str]  # algorithm -> base64
