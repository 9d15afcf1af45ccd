"""AWS::Kinesis::Stream resources of the template: the streams exist when `up` starts.

A restart keeps a stream and its records; a changed retention period is applied; a
changed shard count or mode is not (serverlite does not reshard) and is said so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from serverlite.aws.backend import AwsError, ProvisionedResource
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, ResourceSpec

from . import ops_streams
from .context import Context

log = logging.getLogger("serverlite")
STREAM = "AWS::Kinesis::Stream"


def _request(resource: ResourceSpec) -> dict[str, Any]:
    props = resource.properties
    body: dict[str, Any] = {"StreamName": resource.physical_id}
    details = props.get("StreamModeDetails")
    mode = to_cfn_string(details.get("StreamMode")) if isinstance(details, Mapping) else None
    if mode == "ON_DEMAND":
        body["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
    else:
        body["ShardCount"] = int(to_cfn_string(props.get("ShardCount")) or 1)
    tags = props.get("Tags") or []
    body["Tags"] = {str(t["Key"]): to_cfn_string(t["Value"]) or "" for t in tags}
    return body


def _provision(ctx: Context, resource: ResourceSpec) -> str:
    body = _request(resource)
    hours = int(to_cfn_string(resource.properties.get("RetentionPeriodHours")) or 24)
    name = body["StreamName"]
    existing = ctx.store.get(name)
    notes = []
    if existing is None:
        ops_streams.create_stream(ctx, body)
        notes.append("created")
    else:
        wanted = "ON_DEMAND" if "StreamModeDetails" in body else "PROVISIONED"
        count = body.get("ShardCount", ops_streams.ON_DEMAND_SHARDS)
        if wanted != existing.mode or count != len(existing.shards):
            notes.append(
                f"warning: kept {existing.mode} with {len(existing.shards)} shards "
                "(serverlite does not reshard)"
            )
            log.warning("stream %s: %s", name, notes[-1].removeprefix("warning: "))
        notes.append("kept")
    stream = ctx.store.get(name)
    assert stream is not None
    if hours != stream.retention_hours:
        op = (
            ops_streams.increase_stream_retention_period
            if hours > stream.retention_hours
            else ops_streams.decrease_stream_retention_period
        )
        op(ctx, {"StreamName": name, "RetentionPeriodHours": hours})
    stream = ctx.store.get(name)
    assert stream is not None
    shards = len(stream.shards)
    return f"{stream.mode} · {shards} shard{'s' if shards > 1 else ''} · " + ", ".join(notes)


def provision(ctx: Context, app: Application) -> list[ProvisionedResource]:
    rows = []
    for resource in app.resources:
        if resource.type != STREAM:
            continue
        try:
            detail = _provision(ctx, resource)
        except AwsError as error:
            log.warning("stream %s not created: %s", resource.physical_id, error.message)
            detail = f"not created: {error.message}"
        rows.append(ProvisionedResource("kinesis", "stream", resource.physical_id, detail))
    return rows
