"""serverlite's XML escaping is the standard library's (xml.sax.saxutils.escape)."""

from __future__ import annotations

from xml.sax.saxutils import escape as stdlib_escape

import pytest

from serverlite.xml_text import escape


@pytest.mark.parametrize(
    "text",
    ["", "plain", "a & b", "<tag>", "&amp; already", "x > y < z", "&<>&<>", "é 😀 \x09\n"],
)
def test_escape_is_saxutils_escape(text: str) -> None:
    assert escape(text) == stdlib_escape(text)
