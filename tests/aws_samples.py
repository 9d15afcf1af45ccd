"""AWS's own sample event payloads (tests/fixtures/aws-events, from Powertools for AWS
Lambda's test fixtures, MIT-0), kept in the repository so every checkout compares
against them: a missing sample is a broken checkout and fails, it is never skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AWS_EVENTS = Path(__file__).resolve().parent / "fixtures" / "aws-events"


def aws_sample_text(name: str) -> str:
    return (AWS_EVENTS / name).read_text()


def aws_sample(name: str) -> Any:
    return json.loads(aws_sample_text(name))
