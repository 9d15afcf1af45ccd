"""S3's XML: documents written as S3 writes them, documents read as S3 reads them.

Responses carry S3's namespace (``http://s3.amazonaws.com/doc/2006-03-01/``), times in
ISO 8601 with milliseconds (``2026-12-07T13:20:09.000Z``); headers carry HTTP dates.
Requests may come with or without the namespace; elements are read by local name.
Python's expat parser expands no external entities, so a document cannot reach files.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from email.utils import formatdate, parsedate_to_datetime

from serverlite.xml_text import escape

from .errors import malformed_xml

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def el(name: str, value: object) -> str:
    """``<name>value</name>``, the value escaped; None writes nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def els(name: str, inner: Iterable[str]) -> str:
    return "".join(f"<{name}>{part}</{name}>" for part in inner)


def document(root: str, inner: str) -> bytes:
    return f'{HEADER}<{root} xmlns="{NAMESPACE}">{inner}</{root}>'.encode()


def timestamp(epoch: float) -> str:
    millis = int(epoch * 1000)
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"
    )


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def parse_http_date(text: str) -> float | None:
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def parse(raw: bytes) -> ET.Element:
    """The document with namespaces taken off the tags, or S3's MalformedXML."""
    if not raw.strip():
        raise malformed_xml()
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise malformed_xml() from exc
    for node in root.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    return root


def text(node: ET.Element, name: str, default: str | None = None) -> str | None:
    child = node.find(name)
    if child is None:
        return default
    return child.text or ""
