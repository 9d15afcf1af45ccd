"""Each EventBridge and EventBridge Scheduler operation's IAM action and resource.

From the Service Authorization Reference ("Amazon EventBridge", "Amazon EventBridge
Scheduler"): PutEvents asks for ``events:PutEvents`` on each entry's bus, with the
``events:source`` and ``events:detail-type`` condition keys; rule operations act on
``rule/<name>`` (``rule/<bus>/<name>`` on a custom bus), archives and replays on their
own ARNs; schedules on ``arn:aws:scheduler:...:schedule/<group>/<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

from .names import Arns, bus_name

ON_NOTHING = frozenset(
    {"ListEventBuses", "ListRules", "ListRuleNamesByTarget", "TestEventPattern", "ListArchives",
     "ListReplays"}
)  # fmt: skip
BUS_OPS = frozenset({"CreateEventBus", "DeleteEventBus", "DescribeEventBus"})
RULE_BY_NAME = frozenset({"PutRule", "DescribeRule", "DeleteRule", "EnableRule", "DisableRule"})
RULE_BY_RULE = frozenset({"PutTargets", "RemoveTargets", "ListTargetsByRule"})
ARCHIVE_OPS = frozenset({"CreateArchive", "UpdateArchive", "DescribeArchive", "DeleteArchive"})
REPLAY_OPS = frozenset({"StartReplay", "DescribeReplay", "CancelReplay"})

Map = Callable[[str, dict[str, Any]], Sequence[IamRequest]]


def events_map(arns: Arns) -> Map:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"events:{operation}"
        if operation == "PutEvents":
            seen: dict[tuple[str, str, str], None] = {}
            for entry in request["Entries"]:
                bus = arns.bus(bus_name(entry.get("EventBusName")))
                seen[(bus, str(entry.get("Source", "")), str(entry.get("DetailType", "")))] = None
            return tuple(
                IamRequest(action, bus, {"events:source": s, "events:detail-type": d})
                for bus, s, d in seen
            )
        if operation in ON_NOTHING:
            return (IamRequest(action),)
        if operation in BUS_OPS:
            return (IamRequest(action, arns.bus(bus_name(request.get("Name")))),)
        if operation in RULE_BY_NAME | RULE_BY_RULE:
            name = request["Name" if operation in RULE_BY_NAME else "Rule"]
            bus = bus_name(request.get("EventBusName"))
            return (IamRequest(action, arns.rule(bus, str(name))),)
        if operation in ARCHIVE_OPS:
            return (IamRequest(action, arns.archive(str(request["ArchiveName"]))),)
        if operation in REPLAY_OPS:
            return (IamRequest(action, arns.replay(str(request["ReplayName"]))),)
        return (IamRequest(action),)

    return requests


def scheduler_map(region: str, account: str) -> Map:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        if operation == "PutServiceEvents":
            return ()  # serverlite's own route for a developer's injected aws.* events
        action = f"scheduler:{operation}"
        if operation == "ListSchedules":
            return (IamRequest(action),)
        body = request.get("body")
        group = (
            (body.get("GroupName") if isinstance(body, dict) else None)
            or request["query"].get("groupName")
            or "default"
        )
        name = request["path"]["name"]
        return (
            IamRequest(action, f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}"),
        )

    return requests
