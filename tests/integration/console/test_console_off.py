"""`serverlite up --no-console`: the AWS endpoint without the console in front (what the
console's cost bench compares against), said at start."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import FIXTURES, start_server

pytestmark = [pytest.mark.integration]


def test_no_console_serves_no_console(tmp_path: Path) -> None:
    server = start_server(FIXTURES / "burst" / "template.yaml", tmp_path / "state", "--no-console")
    try:
        assert "console: off (--no-console)" in server.output()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/_console/", timeout=10)
        assert refused.value.code != 200
        assert b"serverlite console" not in refused.value.read()
    finally:
        server.stop()
