"""The CloudWatch backend: one operations table behind its JSON face, which the
smithy-rpc-v2-cbor dispatcher serves too (``cbor_model``)."""

from __future__ import annotations

from serverlite.aws.backend import Backend, JsonService, Operations, ServiceContext
from serverlite.aws.cloudwatch.context import CloudWatchContext
from serverlite.aws.cloudwatch.ops import OPERATIONS
from serverlite.iam.request import IamRequest

TARGET_PREFIX = "GraniteServiceVersion20100801"


class CloudWatchBackend(Backend):
    name = "cloudwatch"
    title = "CloudWatch"

    def __init__(self, context: ServiceContext) -> None:
        self.ctx = CloudWatchContext(context)
        self._json = JsonService(
            TARGET_PREFIX,
            "1.0",
            Operations(
                "CloudWatch",
                self.ctx,
                OPERATIONS,
                malformed="SerializationException",
                internal="InternalServiceError",
                # IAM names the service "cloudwatch" (its SigV4 name is "monitoring");
                # metric and dashboard actions act on no resource.
                iam=lambda operation, request: (IamRequest(f"cloudwatch:{operation}"),),
            ),
            error_namespace="com.amazonaws.cloudwatch#",
            cbor_model="cloudwatch",
        )

    @property
    def json(self) -> JsonService:
        return self._json
