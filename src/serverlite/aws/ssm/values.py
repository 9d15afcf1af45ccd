"""What PutParameter accepts as a value: types, tiers and their size limits, data types,
allowed patterns. Pure rules, no I/O."""

from __future__ import annotations

import re

from serverlite.aws.backend import AwsError
from serverlite.linear_regex import RegexError, compile_linear

TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
STANDARD_MAX = 4096
ADVANCED_MAX = 8192
DESCRIPTION_MAX = 1024
PATTERN_MAX = 1024
_AMI = re.compile(r"ami-[0-9a-f]{8}([0-9a-f]{9})?")


def constraint_error(field: str, value: object, constraint: str) -> AwsError:
    """AWS's wording for a request that breaks its model's constraints."""
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}",
    )


def check_type(kind: str) -> str:
    if kind not in TYPES:
        raise constraint_error(
            "type", kind, "Member must satisfy enum value set: [SecureString, StringList, String]"
        )
    return kind


def resolve_tier(requested: str | None, previous: str | None, value: str) -> str:
    """The tier a new version gets; Intelligent-Tiering picks the cheapest that fits.

    An Advanced parameter stays Advanced: AWS refuses to downgrade it.
    """
    if requested is not None and requested not in TIERS:
        raise constraint_error(
            "tier",
            requested,
            "Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]",
        )
    if requested == "Intelligent-Tiering":
        big = len(value) > STANDARD_MAX
        tier = "Advanced" if big or previous == "Advanced" else "Standard"
    else:
        tier = requested or previous or "Standard"
    if previous == "Advanced" and tier == "Standard":
        raise AwsError(
            "ValidationException",
            "This parameter uses the advanced-parameter tier. You can't downgrade a parameter "
            "from the advanced-parameter tier to the standard-parameter tier. If necessary, "
            "you can delete the advanced parameter and recreate it as a standard parameter.",
        )
    if tier == "Standard" and len(value) > STANDARD_MAX:
        raise AwsError(
            "ValidationException",
            "Standard tier parameters support a maximum parameter value of 4096 characters. "
            "To create a larger parameter value, upgrade the parameter to use the "
            "advanced-parameter tier. For more information, see "
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
            "parameter-store-advanced-parameters.html",
        )
    if len(value) > ADVANCED_MAX:
        raise constraint_error(
            "value", "", f"Member must have length less than or equal to {ADVANCED_MAX}"
        )
    return tier


def check_data_type(data_type: str, kind: str, value: str) -> str:
    if data_type not in DATA_TYPES:
        raise AwsError(
            "ValidationException",
            f"The following data type is not supported: {data_type} "
            "(Data type names are all lowercase.)",
        )
    # AWS also checks that the image exists, asynchronously; serverlite checks the form.
    if data_type == "aws:ec2:image" and (kind != "String" or not _AMI.fullmatch(value)):
        raise AwsError(
            "ValidationException",
            f"Parameter value, {value}, for data type aws:ec2:image must be a String "
            "in the format ami-12345abcdeEXAMPLE.",
        )
    return data_type


def check_pattern(pattern: str, value: str) -> None:
    """``AllowedPattern`` must match the whole value (Java's ``matches()`` semantics).

    The caller's regex runs in linear time (RE2, see serverlite.linear_regex): a
    catastrophic pattern such as ``(a+)+`` is answered at once, with AWS's mismatch
    answer, instead of backtracking on the event loop. Patterns only a backtracking
    engine can run (backreferences, lookaround) are refused as not valid, naming why.
    """
    if len(pattern) > PATTERN_MAX:
        raise constraint_error(
            "allowedPattern",
            pattern,
            f"Member must have length less than or equal to {PATTERN_MAX}",
        )
    try:
        compiled = compile_linear(pattern)
    except RegexError as exc:
        raise AwsError(
            "InvalidAllowedPatternException", f"The allowed pattern is not valid: {exc}"
        ) from exc
    if not compiled.fullmatch(value):
        raise AwsError(
            "ParameterPatternMismatchException",
            f"Parameter value, cannot be validated against allowedPattern: {pattern}",
        )


def check_description(description: str) -> str:
    if len(description) > DESCRIPTION_MAX:
        raise constraint_error(
            "description",
            description,
            f"Member must have length less than or equal to {DESCRIPTION_MAX}",
        )
    return description
