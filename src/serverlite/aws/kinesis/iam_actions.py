"""Each Kinesis Data Streams operation's IAM action and resource (the stream's ARN).

From the Service Authorization Reference ("Amazon Kinesis Data Streams"): stream
operations act on ``arn:aws:kinesis:<region>:<account>:stream/<name>``, named by
StreamARN or StreamName; GetRecords names its stream only inside the shard iterator
(serverlite's iterator carries the stream's name); ListStreams acts on no stream.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

from .context import Context


def iam_map(ctx: Context) -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"kinesis:{operation}"
        if request.get("StreamARN"):
            return (IamRequest(action, str(request["StreamARN"])),)
        if request.get("StreamName"):
            return (IamRequest(action, ctx.arn(str(request["StreamName"]))),)
        if operation == "GetRecords":
            name = json.loads(base64.b64decode(str(request["ShardIterator"])))[0]
            return (IamRequest(action, ctx.arn(str(name))),)
        return (IamRequest(action),)

    return requests
