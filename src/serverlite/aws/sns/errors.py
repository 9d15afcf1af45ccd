"""SNS errors in AWS's shape, made in one place.

SNS answers most bad input with ``InvalidParameter`` and a message that starts
``Invalid parameter: ``; bad message attributes get ``ParameterValueInvalid``
(botocore's ``InvalidParameterValueException``); unknown topics and subscriptions
get ``NotFound`` with status 404.
"""

from __future__ import annotations

from serverlite.aws.backend import AwsError


def invalid(detail: str) -> AwsError:
    """``InvalidParameter``: "Invalid parameter: <detail>"."""
    return AwsError("InvalidParameter", f"Invalid parameter: {detail}")


def invalid_value(message: str) -> AwsError:
    """``ParameterValueInvalid`` (message attributes), AWS's message verbatim."""
    return AwsError("ParameterValueInvalid", message)


def topic_not_found() -> AwsError:
    return AwsError("NotFound", "Topic does not exist", 404)


def subscription_not_found() -> AwsError:
    return AwsError("NotFound", "Subscription does not exist", 404)


def resource_not_found() -> AwsError:
    return AwsError("ResourceNotFound", "Resource does not exist", 404)
