"""GetRandomPassword and CloudFormation's GenerateSecretString. Pure, given a random source."""

from __future__ import annotations

import json
import random
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError

# The punctuation AWS draws from: every printable ASCII symbol.
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
MAX_LENGTH = 4096
DEFAULT_LENGTH = 32


@dataclass(frozen=True)
class PasswordSpec:
    length: int = DEFAULT_LENGTH
    exclude_characters: str = ""
    exclude_numbers: bool = False
    exclude_punctuation: bool = False
    exclude_uppercase: bool = False
    exclude_lowercase: bool = False
    include_space: bool = False
    require_each_included_type: bool = True


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def generate_password(spec: PasswordSpec, rng: random.Random | None = None) -> str:
    """A password of ``spec.length`` characters from the included character types.

    With ``require_each_included_type`` it has at least one character of each type
    (lowercase, uppercase, digit, punctuation) that is included and not wholly excluded.
    """
    rng = rng or secrets.SystemRandom()
    if not 1 <= spec.length <= MAX_LENGTH:
        raise _invalid(f"PasswordLength must be between 1 and {MAX_LENGTH}, got {spec.length}.")
    excluded = set(spec.exclude_characters)
    wanted = (
        (spec.exclude_lowercase, string.ascii_lowercase),
        (spec.exclude_uppercase, string.ascii_uppercase),
        (spec.exclude_numbers, string.digits),
        (spec.exclude_punctuation, PUNCTUATION),
    )
    types = [
        kept
        for skip, chars in wanted
        if not skip and (kept := "".join(c for c in chars if c not in excluded))
    ]
    pool = "".join(types) + (" " if spec.include_space and " " not in excluded else "")
    if not pool:
        raise _invalid("The password can't be generated: every character type is excluded.")
    chosen: list[str] = []
    if spec.require_each_included_type:
        if spec.length < len(types):
            raise _invalid(
                f"PasswordLength {spec.length} is too short to include each of the "
                f"{len(types)} included character types (RequireEachIncludedType)."
            )
        chosen = [rng.choice(chars) for chars in types]
    chosen += [rng.choice(pool) for _ in range(spec.length - len(chosen))]
    rng.shuffle(chosen)
    return "".join(chosen)


def _flag(value: Any, field: str) -> bool:
    """A boolean from JSON or from a template (where ``"true"`` is common)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(f"{field} must be a boolean, got {value!r}.")


def _length(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid(f"PasswordLength must be a number, got {value!r}.")
    try:
        return int(value)
    except ValueError:
        raise _invalid(f"PasswordLength must be a number, got {value!r}.") from None


def spec_from(fields: Mapping[str, Any]) -> PasswordSpec:
    """A ``PasswordSpec`` from GetRandomPassword's request or a GenerateSecretString."""
    flags = {
        "exclude_numbers": "ExcludeNumbers",
        "exclude_punctuation": "ExcludePunctuation",
        "exclude_uppercase": "ExcludeUppercase",
        "exclude_lowercase": "ExcludeLowercase",
        "include_space": "IncludeSpace",
        "require_each_included_type": "RequireEachIncludedType",
    }
    settings: dict[str, Any] = {
        attr: _flag(fields[key], key) for attr, key in flags.items() if fields.get(key) is not None
    }
    if fields.get("PasswordLength") is not None:
        settings["length"] = _length(fields["PasswordLength"])
    if fields.get("ExcludeCharacters") is not None:
        settings["exclude_characters"] = str(fields["ExcludeCharacters"])
    return PasswordSpec(**settings)


def generate_secret_string(generate: Mapping[str, Any], rng: random.Random | None = None) -> str:
    """The value CloudFormation makes for ``GenerateSecretString``.

    With ``SecretStringTemplate`` and ``GenerateStringKey`` the password goes into the
    template's JSON object under that key; otherwise the value is the password itself.
    """
    password = generate_password(spec_from(generate), rng)
    template = generate.get("SecretStringTemplate")
    key = generate.get("GenerateStringKey")
    if template is None and key is None:
        return password
    if template is None or key is None:
        raise _invalid("SecretStringTemplate and GenerateStringKey must be given together.")
    try:
        document = json.loads(str(template))
    except ValueError as exc:
        raise _invalid(f"SecretStringTemplate is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise _invalid("SecretStringTemplate must be a JSON object.")
    document[str(key)] = password
    return json.dumps(document)
