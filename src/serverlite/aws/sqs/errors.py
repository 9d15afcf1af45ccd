"""SQS errors in AWS's shape, made in one place.

SQS moved from the query protocol to JSON keeping its old error codes: a JSON error
carries the shape name in ``__type`` (``com.amazonaws.sqs#QueueDoesNotExist``) and
the query-era code in the ``x-amzn-query-error`` header
(``AWS.SimpleQueueService.NonExistentQueue;Sender``). botocore reads both: the
header's code becomes ``Error.Code`` and the shape name picks the exception class
(``client.exceptions.QueueDoesNotExist``). The query protocol answers with the
query-era code alone (``query_code``, which the query dispatcher uses).
"""

from __future__ import annotations

from serverlite.aws.backend import AwsError

ERROR_NAMESPACE = "com.amazonaws.sqs#"

# Shape name -> the code the query protocol (and x-amzn-query-error) uses.
QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDeletedRecently": "AWS.SimpleQueueService.QueueDeletedRecently",
    "QueueNameExists": "QueueAlreadyExists",
    "PurgeQueueInProgress": "AWS.SimpleQueueService.PurgeQueueInProgress",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}


class SqsError(AwsError):
    """An SQS error: ``code`` is the shape name, ``query_code`` the query-era code."""

    def __init__(self, code: str, message: str, status: int = 400, *, sender: bool = True) -> None:
        super().__init__(code, message, status)
        self.query_code: str = QUERY_CODES.get(code, code)
        self.fault = "Sender" if sender else "Receiver"
        self.headers["x-amzn-query-error"] = f"{self.query_code};{self.fault}"


def queue_does_not_exist() -> SqsError:
    return SqsError("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> SqsError:
    return SqsError("InvalidParameterValue", message)


def invalid_value(parameter: str, value: object, reason: str) -> SqsError:
    """AWS's usual wording: ``Value X for parameter P is invalid. Reason: R``."""
    return invalid_parameter(
        f"Value {value} for parameter {parameter} is invalid. Reason: {reason}"
    )


def missing_parameter(name: str) -> SqsError:
    return SqsError("MissingParameter", f"The request must contain the parameter {name}.")


def invalid_attribute_name(name: str) -> SqsError:
    return SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")


def invalid_attribute_value(name: str, detail: str = "") -> SqsError:
    message = f"Invalid value for the parameter {name}."
    return SqsError("InvalidAttributeValue", f"{message} Reason: {detail}" if detail else message)


def receipt_handle_invalid(handle: str) -> SqsError:
    return SqsError(
        "ReceiptHandleIsInvalid",
        f'The input receipt handle "{handle}" is not a valid receipt handle.',
    )


def not_valid_for_queue_type(parameter: str, value: object) -> SqsError:
    # AWS's grammar, verbatim ("include", not "includes").
    return invalid_value(
        parameter, value, "The request include parameter that is not valid for this queue type."
    )


def internal(message: str) -> SqsError:
    return SqsError("InternalError", message, 500, sender=False)
