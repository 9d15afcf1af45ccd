"""The serverlite error tree.

    ServerliteError                 root: everything serverlite raises on purpose
    ├── TemplateError               a template cannot be loaded or is invalid
    ├── ConfigError                 bad CLI arguments or settings
    └── InvokeError                 an invocation could not be made (not a function error)
        ├── FunctionNotFound        ResourceNotFoundException
        ├── TooManyRequests         TooManyRequestsException (throttled)
        ├── RequestTooLarge         RequestTooLargeException
        └── InvalidRequestContent   InvalidRequestContentException

Function errors (a handler raising, timing out, crashing) are not exceptions here:
they are results, as on AWS, carried by ``InvokeResult.function_error``.
Foreign exceptions are translated at module boundaries (``raise X from exc``).
"""

from __future__ import annotations


class ServerliteError(Exception):
    """Root of every error serverlite raises on purpose."""


class ConfigError(ServerliteError):
    """Bad command-line arguments or settings."""


class TemplateError(ServerliteError):
    """A template cannot be loaded or is invalid.

    ``str()`` gives ``<file>: <path>: <message>``, e.g.
    ``template.yaml: Resources.Fn.Properties.Timeout: must be 1-900, got 0``.
    """

    def __init__(self, file: str, path: str, message: str) -> None:
        self.file = file
        self.path = path
        self.message = message
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {message}")


class TemplateErrors(TemplateError):
    """Several template errors found at once (all are reported, nothing starts)."""

    def __init__(self, errors: list[TemplateError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.file, first.path, first.message)
        self.args = ("\n".join(str(e) for e in errors),)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class InvokeError(ServerliteError):
    """An invocation could not be made; carries AWS's error code and HTTP status."""

    code = "ServiceException"
    status = 500
    error_kind = "Service"  # the "Type" field of Lambda's error body: User or Service
    # The message's member in Lambda's error body, spelt as botocore's lambda model
    # spells it per error: "Message" for ServiceException and ResourceNotFoundException,
    # "message" for the others raised here (boto3 reads e.response["Message"] only then).
    message_key = "Message"

    def __init__(self, message: str, **fields: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class FunctionNotFound(InvokeError):
    code = "ResourceNotFoundException"
    status = 404
    error_kind = "User"


class TooManyRequests(InvokeError):
    code = "TooManyRequestsException"
    status = 429
    error_kind = "User"
    message_key = "message"


class RequestTooLarge(InvokeError):
    code = "RequestTooLargeException"
    status = 413
    error_kind = "User"
    message_key = "message"


class InvalidRequestContent(InvokeError):
    code = "InvalidRequestContentException"
    status = 400
    error_kind = "User"
    message_key = "message"


class InvalidParameterValue(InvokeError):
    code = "InvalidParameterValueException"
    status = 400
    error_kind = "User"
    message_key = "message"
