"""CloudWatch's errors: JSON and CBOR name them ``...Exception`` and carry the query
code (``InvalidParameterValue``) in ``x-amzn-query-error``, which botocore reports."""

from __future__ import annotations

from serverlite.aws.backend import AwsError


def _error(shape: str, code: str, message: str) -> AwsError:
    error = AwsError(shape, message)
    error.headers["x-amzn-query-error"] = f"{code};Sender"
    error.query_code = code
    return error


def invalid(message: str) -> AwsError:
    return _error("InvalidParameterValueException", "InvalidParameterValue", message)


def missing(parameter: str) -> AwsError:
    return _error(
        "MissingRequiredParameterException",
        "MissingParameter",
        f"The parameter {parameter} is required.",
    )


def combination(message: str) -> AwsError:
    return _error("InvalidParameterCombinationException", "InvalidParameterCombination", message)


def bad_token() -> AwsError:
    return _error("InvalidNextToken", "InvalidNextToken", "The NextToken is not valid.")


def not_found(message: str) -> AwsError:
    error = _error("ResourceNotFound", "ResourceNotFound", message)
    error.status = 404
    return error
