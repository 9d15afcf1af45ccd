"""The Logger of the patients functions: Powertools, JSON lines, PHI scrubbed."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from patients_logging.scrub import scrub


class PhiScrubbingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter with every record scrubbed before it is written."""

    def serialize(self, log: Any) -> str:
        return json.dumps(scrub(log), default=str, separators=(",", ":"))


def get_logger(service: str | None = None) -> Logger:
    # serialize_stacktrace would add the exception object itself; the scrubbed
    # traceback text in "exception" is enough.
    return Logger(
        service=service,
        logger_formatter=PhiScrubbingFormatter(serialize_stacktrace=False),
        serialize_stacktrace=False,
    )
