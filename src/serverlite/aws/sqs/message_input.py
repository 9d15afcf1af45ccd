"""A SendMessage request (or batch entry) checked and turned into a ``NewMessage``.

Checks follow AWS: the body's characters (XML 1.0's set), the size limit (body plus
every attribute's name, type and value, against the queue's MaximumMessageSize),
message attributes (at most 10, String/Number/Binary types with custom suffixes,
names AWS accepts), the AWSTraceHeader system attribute, DelaySeconds, and the FIFO
parameters. Binary values arrive base64-encoded, as both wire protocols carry them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from serverlite.observe.tracing import current_header

from . import errors
from .checksums import AttributeValue, md5_of_attributes, md5_of_body

MAX_ATTRIBUTES = 10
MAX_ATTRIBUTE_NAME = 256
MAX_DELAY_S = 900
MAX_GROUP_ID = 128
# What ALLOWED_CHARACTERS leaves out, spelled as the few ranges it is: the negated class
# of what it allows takes Python's regex compiler ~12 ms at import, this one 0.4 ms.
_INVALID_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ALLOWED_CHARACTERS = "#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_ID_CHARS = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")
_TYPE = re.compile(r"(String|Number|Binary)(\..+)?")


@dataclass(frozen=True)
class NewMessage:
    body: str
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    trace_header: str | None = None
    delay_s: int | None = None  # None: the queue's DelaySeconds
    group_id: str | None = None
    dedup_id: str | None = None
    # The trace header came from the request's X-Amzn-Trace-Id, not the message's own
    # system attributes: AWS answers no MD5OfMessageSystemAttributes for it.
    trace_from_request: bool = False

    @property
    def md5_of_body(self) -> str:
        return md5_of_body(self.body)

    @property
    def md5_of_attributes(self) -> str | None:
        return md5_of_attributes(self.attributes.items()) if self.attributes else None

    @property
    def md5_of_system_attributes(self) -> str | None:
        if self.trace_header is None or self.trace_from_request:
            return None
        return md5_of_attributes([("AWSTraceHeader", AttributeValue("String", self.trace_header))])

    @property
    def size(self) -> int:
        attributes = sum(len(k.encode()) + v.size for k, v in self.attributes.items())
        return len(self.body.encode()) + attributes


def check_characters(text: str, where: str = "message body") -> None:
    bad = _INVALID_CHAR.search(text)
    if bad is not None:
        raise errors.SqsError(
            "InvalidMessageContents",
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the {where}, "
            f"the set of allowed characters is {ALLOWED_CHARACTERS}.",
        )


def parse(params: Mapping[str, Any], *, fifo: bool, max_size: int) -> NewMessage:
    """Check one message's parameters; raise the SqsError AWS would answer with."""
    body = params.get("MessageBody")
    if not isinstance(body, str) or not body:
        raise errors.missing_parameter("MessageBody")
    check_characters(body)
    attributes = parse_attributes(params.get("MessageAttributes") or {})
    trace = _trace_header(params.get("MessageSystemAttributes") or {})
    # AWS takes AWSTraceHeader from the request's X-Amzn-Trace-Id when the message
    # does not set it: the consumer's invocation continues the sender's trace.
    sent_trace = current_header() if trace is None else None
    message = NewMessage(
        body=body,
        attributes=attributes,
        trace_header=trace or sent_trace,
        trace_from_request=sent_trace is not None,
        delay_s=_delay(params.get("DelaySeconds"), fifo),
        group_id=_fifo_id(params, "MessageGroupId"),
        dedup_id=_fifo_id(params, "MessageDeduplicationId"),
    )
    if message.size > max_size:
        raise errors.invalid_parameter(
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{max_size} bytes."
        )
    if fifo and message.group_id is None:
        raise errors.missing_parameter("MessageGroupId")
    if not fifo and message.dedup_id is not None:
        raise errors.not_valid_for_queue_type("MessageDeduplicationId", message.dedup_id)
    return message


def parse_attributes(raw: Mapping[str, Any]) -> dict[str, AttributeValue]:
    if not isinstance(raw, Mapping):
        raise errors.invalid_parameter("MessageAttributes must be a map of name to value.")
    if len(raw) > MAX_ATTRIBUTES:
        raise errors.invalid_parameter(
            f"Number of message attributes [{len(raw)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    return {name: _attribute(name, value) for name, value in raw.items()}


def _attribute(name: str, raw: Any) -> AttributeValue:
    _check_attribute_name(name)
    if not isinstance(raw, Mapping):
        raise errors.invalid_parameter(f"The message attribute '{name}' is malformed.")
    data_type = raw.get("DataType")
    if not isinstance(data_type, str) or not data_type:
        raise errors.invalid_parameter(
            f"The message attribute '{name}' must contain non-empty message attribute type."
        )
    kind = _TYPE.fullmatch(data_type)
    if kind is None or len(data_type) > MAX_ATTRIBUTE_NAME:
        raise errors.invalid_parameter(
            f"The type of message (user) attribute '{name}' is invalid. You must use only the "
            "following supported type prefixes: Binary, Number, String."
        )
    if raw.get("StringListValues") or raw.get("BinaryListValues"):
        raise errors.invalid_parameter(
            "Message attribute list values in SendMessage operation are not supported."
        )
    string, binary = raw.get("StringValue"), raw.get("BinaryValue")
    if kind.group(1) == "Binary":
        data = decode_binary(binary, f"message attribute '{name}'") if binary else b""
        if not data or string is not None:
            raise _empty_value(name, "Binary")
        return AttributeValue(data_type, binary_value=data)
    if not isinstance(string, str) or not string or binary is not None:
        raise _empty_value(name, kind.group(1))
    check_characters(string, f"message attribute '{name}'")
    if kind.group(1) == "Number":
        _check_number(name, string)
    return AttributeValue(data_type, string_value=string)


def _check_attribute_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or len(name) > MAX_ATTRIBUTE_NAME
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise errors.invalid_parameter(
            f"Message (user) attribute name '{name}' is invalid. Names can be up to 256 "
            "characters long: alphanumerics, hyphens, underscores and periods, not starting "
            "or ending with a period and without two periods in a row."
        )
    if lowered.startswith(("aws.", "amazon.")):
        raise errors.invalid_parameter(
            f"Message (user) attribute name '{name}' is reserved for use by Amazon SQS."
        )


def _empty_value(name: str, kind: str) -> errors.SqsError:
    return errors.invalid_parameter(
        f"The message attribute '{name}' must contain non-empty message attribute value for "
        f"message attribute type '{kind}'."
    )


def _check_number(name: str, text: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    # SQS numbers: up to 38 digits of precision, between 10^-128 and 10^+126.
    if number is None or not number.is_finite() or abs(number.adjusted()) > 128:
        raise errors.invalid_parameter(
            f"Can't cast the value of message (user) attribute '{name}' to a number."
        )


def decode_binary(value: Any, where: str) -> bytes:
    """A blob as the wire carries it (base64 text), or bytes a caller already decoded."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, str):
        raise errors.invalid_parameter(f"The binary value of {where} must be base64-encoded.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.invalid_parameter(f"The binary value of {where} is not valid base64.") from exc


def _trace_header(raw: Mapping[str, Any]) -> str | None:
    if not raw:
        return None
    for name, value in raw.items():
        if name != "AWSTraceHeader":
            raise errors.invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        if not isinstance(value, Mapping) or value.get("DataType") != "String":
            raise errors.invalid_parameter(
                "The message system attribute 'AWSTraceHeader' must be of type 'String'."
            )
        header = value.get("StringValue")
        if not isinstance(header, str) or not header:
            raise _empty_value("AWSTraceHeader", "String")
        return header
    return None


def _delay(value: Any, fifo: bool) -> int | None:
    if value is None:
        return None
    if fifo:
        raise errors.not_valid_for_queue_type("DelaySeconds", value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DELAY_S:
        raise errors.invalid_value(
            "DelaySeconds", value, f"DelaySeconds must be >= 0 and <= {MAX_DELAY_S}."
        )
    return value


def _fifo_id(params: Mapping[str, Any], parameter: str) -> str | None:
    value = params.get(parameter)
    if value is None:
        return None
    if not isinstance(value, str) or not _ID_CHARS.fullmatch(value):
        raise errors.invalid_value(
            parameter,
            value,
            f"{parameter} can only include alphanumeric and punctuation characters. "
            "1 to 128 in length.",
        )
    return value
