"""MigrateDatabase: the CloudFormation custom resource that applies the schema on AWS.

The template's ``Custom::ServerlitePostgres`` resource names this function as its
ServiceToken. CloudFormation calls it on create and update (and delete, which keeps
the data); it applies the data layer's migrations and reports back to the presigned
ResponseURL, as custom resources must. serverlite does the same work itself on `up`
and does not call this function.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from patients_data import migrations
from patients_data.connection import connection
from patients_logging.logger import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def migrate_database(event: dict[str, Any], context: Any) -> None:
    status, reason, applied = "SUCCESS", "", []
    try:
        if event.get("RequestType") in ("Create", "Update"):
            applied = migrations.apply(connection())
        logger.info("migrations applied", extra={"count": len(applied)})
    except Exception as exc:
        logger.exception("migrations failed")
        status, reason = "FAILED", f"{type(exc).__name__}: see the function's logs"
    _respond(event, context, status, reason, {"Applied": ",".join(applied) or "-"})


def _respond(
    event: dict[str, Any], context: Any, status: str, reason: str, data: dict[str, str]
) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"see {context.log_stream_name}",
            "PhysicalResourceId": event.get("PhysicalResourceId") or "patients-schema",
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
