"""AWS's own sample event payloads, from ../shared/aws-events beside the checkout.

CI keeps that folder next to the repository. A clone elsewhere has no such folder:
tests that compare against the samples are skipped there, saying why, rather than
failing on a missing file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

AWS_EVENTS = Path(__file__).resolve().parents[2] / "shared" / "aws-events"


def aws_sample_text(name: str) -> str:
    path = AWS_EVENTS / name
    if not path.is_file():
        pytest.skip(f"AWS's sample events are not beside this checkout ({AWS_EVENTS})")
    return path.read_text()


def aws_sample(name: str) -> Any:
    return json.loads(aws_sample_text(name))
