"""Each SSM Parameter Store operation's IAM action and resource (the parameter's ARN).

From the Service Authorization Reference ("Actions, resources, and condition keys for
AWS Systems Manager"): a parameter's ARN is ``parameter/<name>`` without the name's
leading slash; GetParameters and DeleteParameters ask for their action on each name;
GetParametersByPath on the path; DescribeParameters on no parameter. A version or
label selector (``name:3``) is not part of the resource.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

from .names import arn

MANY = frozenset({"GetParameters", "DeleteParameters"})  # one request per Names entry


def iam_map(region: str, account: str) -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    def resource(name: str) -> str:
        if name.startswith("arn:"):
            return (
                name.split(":parameter/", 1)[0]
                + ":parameter/"
                + _bare(name.split(":parameter/", 1)[1])
            )
        return arn(region, account, _bare(name))

    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"ssm:{operation}"
        if operation == "DescribeParameters":
            return (IamRequest(action),)
        if operation in MANY:
            return tuple(IamRequest(action, resource(str(n))) for n in request["Names"])
        if operation == "GetParametersByPath":
            return (IamRequest(action, resource(str(request["Path"]))),)
        return (IamRequest(action, resource(str(request["Name"]))),)

    return requests


def _bare(name: str) -> str:
    """The name without a ``:version`` or ``:label`` selector."""
    return name.split(":", 1)[0]
