"""Name handling shared by the quickstart functions (packaged as a Lambda layer)."""

MAX_NAME_LENGTH = 64


class InvalidName(ValueError):
    """The name is missing, not a string, or too long."""


def clean_name(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidName("name must be a non-empty string")
    name = " ".join(raw.split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(f"name must be at most {MAX_NAME_LENGTH} characters")
    return name
