"""What every Kinesis operation is given, and how a request names its stream."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serverlite.aws.backend import AwsError

from .metrics import KinesisMetrics
from .names import NAME, invalid, stream_arn, validation
from .store import KinesisStore, Stream


@dataclass(frozen=True)
class Context:
    store: KinesisStore
    clock: Callable[[], float]
    region: str
    account_id: str
    metrics: KinesisMetrics = field(default_factory=lambda: KinesisMetrics(None))

    def arn(self, name: str) -> str:
        return stream_arn(self.region, self.account_id, name)

    def not_found(self, name: str) -> AwsError:
        return AwsError(
            "ResourceNotFoundException",
            f"Stream {name} under account {self.account_id} not found.",
        )

    def stream(self, body: dict[str, Any]) -> Stream:
        """The stream a request names by StreamName or StreamARN (one, or both agreeing)."""
        name = body.get("StreamName")
        arn = body.get("StreamARN")
        if arn is not None:
            if not isinstance(arn, str) or ":stream/" not in arn:
                raise validation(arn, "streamARN", "Member must satisfy regular expression pattern")
            from_arn = arn.rsplit("/", 1)[-1]
            if name is not None and name != from_arn:
                raise invalid(
                    f"StreamARN {arn} and StreamName {name} do not refer to the same stream"
                )
            name = from_arn
        if name is None:
            raise invalid("Either StreamName or StreamARN should be provided.")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise validation(
                name,
                "streamName",
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            )
        stream = self.store.get(name)
        if stream is None:
            raise self.not_found(name)
        return stream
