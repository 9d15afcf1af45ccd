"""Parameter names, paths, selectors and labels: AWS's rules, no I/O.

AWS treats ``/Name`` and ``Name`` as the same parameter (a name without a slash
sits at the root of the hierarchy), so parameters are keyed by ``name_key``: the
name with a leading slash. The name as first written is what responses show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from serverlite.aws.backend import AwsError

MAX_DEPTH = 15
MAX_ARN_LENGTH = 1011  # AWS counts the whole ARN against the name's limit
_NAME_CHARS = re.compile(r"[a-zA-Z0-9_.\-/]+")
_LABEL = re.compile(r"[a-zA-Z_.\-][a-zA-Z0-9_.\-]{0,99}")

# AWS answers every malformed name (bad characters, spaces, "a/b" without a leading
# slash, a reserved prefix) with this one message, whatever was actually wrong.
INVALID_NAME = (
    'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). '
    "If formed as a path, it can consist of sub-paths divided by slash symbol; each "
    "sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_"
)
INVALID_PATH = (
    "The parameter doesn't meet the parameter name requirements. The parameter name "
    'must begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or '
    '\\"ssm\\" (case-insensitive). It must use only letters, numbers, or the following '
    "symbols: . (period), - (hyphen), _ (underscore). Special characters are not "
    'allowed. All sub-paths, if specified, must use the forward slash symbol "/". '
    "Valid example: /get/parameters2-/by1./path0_."
)
HIERARCHY_TOO_DEEP = (
    "A hierarchy can have a maximum of 15 levels. For more information, see "
    "Requirements and constraints for parameter names in the Amazon Web Services "
    "Systems Manager User Guide."
)


def name_key(name: str) -> str:
    """The identity of a parameter: ``Name`` and ``/Name`` are one parameter."""
    return name if name.startswith("/") else f"/{name}"


def segments(name: str) -> list[str]:
    return name_key(name)[1:].split("/")


def arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:ssm:{region}:{account_id}:parameter/{name.removeprefix('/')}"


def _well_formed(name: str) -> bool:
    if not _NAME_CHARS.fullmatch(name):
        return False
    if "/" in name and not name.startswith("/"):
        return False  # "a/b": a hierarchy must be fully qualified
    return all(segments(name))  # no "//", no trailing "/"


def check_new_name(name: str, region: str, account_id: str) -> None:
    """The rules PutParameter applies to a name it will create or overwrite."""
    if not _well_formed(name):
        raise AwsError("ValidationException", INVALID_NAME)
    if segments(name)[0].lower().startswith(("aws", "ssm")):
        raise AwsError("ValidationException", INVALID_NAME)
    if len(segments(name)) > MAX_DEPTH:
        raise AwsError("HierarchyLevelLimitExceededException", HIERARCHY_TOO_DEEP)
    if len(arn(region, account_id, name)) > MAX_ARN_LENGTH:
        raise AwsError(
            "ValidationException",
            f"Parameter name exceeds the maximum length of {MAX_ARN_LENGTH} characters, "
            "counted over the parameter's full ARN.",
        )


def check_name(name: str) -> None:
    """The rules a read applies: a reserved prefix is fine (AWS's public parameters)."""
    if not _well_formed(name):
        raise AwsError("ValidationException", INVALID_NAME)


@dataclass(frozen=True)
class Reference:
    """A parameter as a read names it: ``name``, ``name:3`` or ``name:label``, or an ARN."""

    name: str
    version: int | None = None
    label: str | None = None

    @property
    def selector(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        return f":{self.label}" if self.label is not None else None


def parse_reference(text: str) -> Reference:
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        if not resource.startswith("parameter/"):
            raise AwsError("ValidationException", INVALID_NAME)
        text = resource.removeprefix("parameter")
    name, colon, selector = text.partition(":")
    check_name(name)
    if not colon:
        return Reference(name)
    if not selector:
        raise AwsError("ValidationException", INVALID_NAME)
    if selector.isdigit():
        return Reference(name, version=int(selector))
    return Reference(name, label=selector)


def check_path(path: str) -> str:
    """A GetParametersByPath path, as the key prefix it selects (``/a/b/``)."""
    if not path.startswith("/") or not _NAME_CHARS.fullmatch(path):
        raise AwsError("ValidationException", INVALID_PATH)
    stripped = path.rstrip("/")
    if stripped and not all(stripped[1:].split("/")):
        raise AwsError("ValidationException", INVALID_PATH)
    if stripped and len(stripped[1:].split("/")) > MAX_DEPTH:
        raise AwsError("HierarchyLevelLimitExceededException", HIERARCHY_TOO_DEEP)
    return f"{stripped}/"


def in_path(name: str, prefix: str, *, recursive: bool) -> bool:
    """Whether ``name`` is under ``prefix`` (from ``check_path``): directly, or at any depth."""
    key = name_key(name)
    if not key.startswith(prefix) or key == prefix:
        return False
    return recursive or "/" not in key[len(prefix) :]


def valid_label(label: str) -> bool:
    """Labels: letters, digits, ``._-``; not starting with a digit, ``aws`` or ``ssm``."""
    if not _LABEL.fullmatch(label):
        return False
    return not label.lower().startswith(("aws", "ssm"))
