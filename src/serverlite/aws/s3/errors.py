"""S3's errors, with the codes, messages, statuses and fields AWS answers."""

from __future__ import annotations

from serverlite.aws.backend import AwsError


def no_such_bucket(bucket: str) -> AwsError:
    return AwsError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=bucket)


def no_such_key(key: str) -> AwsError:
    return AwsError("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def no_such_version(key: str, version_id: str) -> AwsError:
    return AwsError(
        "NoSuchVersion",
        "The specified version does not exist.",
        404,
        Key=key,
        VersionId=version_id,
    )


def no_such_upload(upload_id: str) -> AwsError:
    return AwsError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed.",
        404,
        UploadId=upload_id,
    )


def invalid_bucket_name(bucket: str) -> AwsError:
    return AwsError(
        "InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=bucket
    )


def key_too_long(key: str) -> AwsError:
    return AwsError(
        "KeyTooLongError",
        "Your key is too long",
        400,
        Size=str(len(key.encode())),
        MaxSizeAllowed="1024",
    )


def precondition_failed(condition: str) -> AwsError:
    return AwsError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        Condition=condition,
    )


def invalid_argument(message: str, name: str = "", value: str = "") -> AwsError:
    fields = {"ArgumentName": name, "ArgumentValue": value} if name else {}
    return AwsError("InvalidArgument", message, 400, **fields)


def malformed_xml() -> AwsError:
    return AwsError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def invalid_request(message: str) -> AwsError:
    return AwsError("InvalidRequest", message, 400)


def method_not_allowed(method: str, resource: str) -> AwsError:
    return AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        Method=method,
        ResourceType=resource,
    )
