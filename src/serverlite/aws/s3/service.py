"""S3 as a serverlite service: the rest-xml face, the template's buckets, notifications
and lifecycle expiration.

Object bytes live under ``<state>/s3/`` (``blobs``), their metadata in ``s3.db``; at
start, temp files and files no row names (what a kill -9 left) are removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from serverlite.aws import backend
from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import Operation, Operations, RestResponse, RestXmlService

from . import (
    cors,
    iam_actions,
    lifecycle,
    ops_buckets,
    ops_config,
    ops_defaults,
    ops_internal,
    ops_listing,
    ops_multipart,
    ops_objects,
    provision,
    routing,
)
from .blobs import BlobStore
from .context import S3Context
from .notifications import Delivery
from .store import S3Db

if TYPE_CHECKING:
    from serverlite.invoker import Invoker
    from serverlite.template.model import Application

log = logging.getLogger("serverlite.aws.s3")

OPERATIONS: dict[str, Operation] = {
    "CreateBucket": ops_buckets.create_bucket,
    "DeleteBucket": ops_buckets.delete_bucket,
    "HeadBucket": ops_buckets.head_bucket,
    "ListBuckets": ops_buckets.list_buckets,
    "GetBucketLocation": ops_buckets.get_bucket_location,
    "PutObject": ops_objects.put_object,
    "GetObject": ops_objects.get_object,
    "HeadObject": ops_objects.head_object,
    "DeleteObject": ops_objects.delete_object,
    "DeleteObjects": ops_objects.delete_objects,
    "CopyObject": ops_objects.copy_object,
    "ListObjectsV2": ops_listing.list_objects_v2,
    "ListObjects": ops_listing.list_objects,
    "ListObjectVersions": ops_listing.list_object_versions,
    "CreateMultipartUpload": ops_multipart.create_multipart_upload,
    "UploadPart": ops_multipart.upload_part,
    "UploadPartCopy": ops_multipart.upload_part_copy,
    "CompleteMultipartUpload": ops_multipart.complete_multipart_upload,
    "AbortMultipartUpload": ops_multipart.abort_multipart_upload,
    "ListParts": ops_multipart.list_parts,
    "ListMultipartUploads": ops_multipart.list_multipart_uploads,
    "GetBucketAcl": ops_defaults.get_bucket_acl,
    "GetObjectAcl": ops_defaults.get_object_acl,
    "GetBucketEncryption": ops_defaults.get_bucket_encryption,
    "GetBucketPolicy": ops_defaults.get_bucket_policy,
    "PutBucketVersioning": ops_config.put_bucket_versioning,
    "GetBucketVersioning": ops_config.get_bucket_versioning,
    "PutBucketTagging": ops_config.put_bucket_tagging,
    "GetBucketTagging": ops_config.get_bucket_tagging,
    "DeleteBucketTagging": ops_config.delete_bucket_tagging,
    "PutObjectTagging": ops_config.put_object_tagging,
    "GetObjectTagging": ops_config.get_object_tagging,
    "DeleteObjectTagging": ops_config.delete_object_tagging,
    "PutBucketCors": ops_config.put_bucket_cors,
    "GetBucketCors": ops_config.get_bucket_cors,
    "DeleteBucketCors": ops_config.delete_bucket_cors,
    "PutBucketLifecycleConfiguration": ops_config.put_bucket_lifecycle_configuration,
    "GetBucketLifecycleConfiguration": ops_config.get_bucket_lifecycle_configuration,
    "DeleteBucketLifecycle": ops_config.delete_bucket_lifecycle,
    "PutBucketNotificationConfiguration": ops_config.put_bucket_notification_configuration,
    "GetBucketNotificationConfiguration": ops_config.get_bucket_notification_configuration,
}
DB_FILE = "s3.db"
LIFECYCLE_INTERVAL_S = 60.0  # AWS runs lifecycle about daily; serverlite each minute
GiB = 1024**3
MAX_PUT_BYTES = 5 * GiB  # S3's largest single PUT (and part)
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # a DeleteObjects of 1,000 long keys fits


class S3Service(backend.Backend):
    name = "s3"
    title = "S3"

    def __init__(self, context: backend.ServiceContext) -> None:
        self.db = S3Db(context.state_dir / DB_FILE)
        self.blobs = BlobStore(context.state_dir / "s3")
        swept = self.blobs.sweep(self.db.referenced())
        if swept:
            log.info("S3: removed %d partial or unreferenced object files left by a crash", swept)
        self.ctx = S3Context(self.db, self.blobs, context.region, context.account_id, context.clock)
        self.aws = context.aws
        self.endpoint_url = context.endpoint_url
        self.region = context.region
        self.account_id = context.account_id
        self.delivery: Delivery | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._face = RestXmlService(
            "s3",
            Operations(
                "S3",
                self.ctx,
                OPERATIONS,
                malformed="MalformedXML",
                internal="InternalError",
                iam=iam_actions.iam_map(),
            ),
            routing.route,
            max_request_bytes=MAX_PUT_BYTES,
            max_document_bytes=MAX_DOCUMENT_BYTES,
            clock=context.clock,
            preflight=self._preflight,
            cors=self._cors,
        )
        self._internal = Operations(
            "S3",
            self.ctx,
            ops_internal.OPERATIONS,
            malformed="MalformedXML",
            internal="InternalError",
        )

    def _preflight(self, bucket: str, key: str | None, headers: Mapping[str, str]) -> RestResponse:
        found = self.ctx.db.bucket(bucket) if bucket else None
        rules = found.config.get("cors") if found else None
        return RestResponse(headers=cors.preflight(rules, headers), media_type=None)

    def _cors(self, bucket: str, method: str, headers: Mapping[str, str]) -> Mapping[str, str]:
        found = self.ctx.db.bucket(bucket)
        origin = headers.get("origin", "")
        rule = cors.matching_rule(found.config.get("cors") if found else None, origin, method, [])
        return cors.response_headers(rule, origin, method) if rule else {}

    @property
    def rest_xml(self) -> RestXmlService:
        return self._face

    @property
    def internal(self) -> Operations:
        """GetObject, PutObject and ListObjectsV2 for the other services (Step Functions'
        ItemReader and s3 tasks): the wire's operations, with boto3's shapes."""
        return self._internal

    def provision(self, app: Application) -> list[backend.ProvisionedResource]:
        return provision.provision(self.ctx, app)

    async def start_event_sources(self, invoker: Invoker) -> None:
        """Deliver notifications (what a previous run left undelivered too) and expire
        objects by their buckets' lifecycle rules (`serverlite up` only)."""
        sender = ArnSender(self.aws, invoker.invoke, self.endpoint_url)
        self.delivery = Delivery(self.db, sender, self.aws, self.region, self.account_id)
        self.ctx.wake = self.delivery.wake.set
        self._tasks = [
            asyncio.create_task(self.delivery.run()),
            asyncio.create_task(self._expire_forever()),
        ]

    async def _expire_forever(self) -> None:
        while True:
            self._expire()
            await asyncio.sleep(LIFECYCLE_INTERVAL_S)

    def _expire(self) -> None:
        try:
            lifecycle.sweep(self.ctx)
        except Exception:  # one bad rule must not stop expiring the others next time
            log.exception("S3 lifecycle sweep failed")

    def clock_moved(self) -> None:
        self._expire()  # a test moved the clock: what expired by now goes now

    async def stop_event_sources(self) -> None:
        if self.delivery is not None:
            self.delivery.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def reset(self) -> None:
        self.blobs.delete(self.db.truncate())

    def close(self) -> None:
        self.db.close()
