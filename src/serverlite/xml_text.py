"""XML character data escaped as ``xml.sax.saxutils.escape`` escapes it (``&``, ``<``,
``>``), without importing that module: it brings ``urllib.request`` (and with it
``http.client`` and ``email``), some 8 ms of the start of `serverlite up`."""

from __future__ import annotations


def escape(text: str) -> str:
    """``text`` as XML character data: ``&`` first, so the others are not escaped twice."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text
