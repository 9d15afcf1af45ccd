"""The public Powertools for AWS Lambda (Python) layers, recognized by ARN.

A template may take Powertools from AWS's public layer instead of its requirements:
``arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:N``
(``498634801083`` in China; V2: ``AWSLambdaPowertoolsPythonV2[-Arm64]:N``). serverlite
cannot download a layer, but it knows what the layer holds: Powertools "with its
extras, without boto3" (the maintainers' layer design, powertools-lambda-python
issue #1379), so it installs that requirement as the layer would place it.

Which release a layer version holds is known for the versions the maintainers named
when they published them (their "docs(layer): update layer version number - vX"
pull requests); any other version gets the release serverlite pins, and the log says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# serverlite's own pin: what an unknown layer version is taken to hold.
PINNED_V3 = "3.37.0"
PINNED_V2 = "2.43.1"  # the last 2.x release
# V3 layer version -> release (powertools-lambda-python PRs #5344, #5426, #5785, #5869).
V3_LAYER_RELEASES = {1: "3.0.0", 2: "3.1.0", 3: "3.2.0", 5: "3.4.0", 6: "3.4.1"}
EXTRAS = "all"  # the layer carries every core extra (tracer, parser, validation, ...)

_ARN = re.compile(
    r"^arn:aws(?:-cn)?:lambda:[a-z0-9-]+:(?:017000801446|498634801083):layer:"
    r"AWSLambdaPowertoolsPython(?P<major>V[23])"
    r"(?:-python3(?P<minor>\d+)-(?P<arch>x86_64|arm64)|(?P<v2arm>-Arm64))?"
    r":(?P<version>\d+)$"
)


@dataclass(frozen=True)
class PowertoolsLayer:
    arn: str
    release: str  # the Powertools release installed for it
    known: bool  # the release is the one this layer version holds (else serverlite's pin)
    python: str | None  # "3.12" for V3 layers, which are built per Python version

    @property
    def requirement(self) -> str:
        return f"aws-lambda-powertools[{EXTRAS}]=={self.release}"

    def describe(self) -> str:
        if self.known:
            return f"{self.arn}: Powertools {self.release}"
        return (
            f"{self.arn}: Powertools {self.release} (serverlite's pin: which release this "
            "layer version holds is not known here)"
        )


def recognize(arn: str) -> PowertoolsLayer | None:
    """The Powertools layer an ARN names, or None for any other layer."""
    match = _ARN.match(arn)
    if match is None:
        return None
    version = int(match["version"])
    if match["major"] == "V3":
        if match["minor"] is None:
            return None  # V3 layers are always per Python and architecture
        release = V3_LAYER_RELEASES.get(version)
        return PowertoolsLayer(
            arn, release or PINNED_V3, release is not None, f"3.{match['minor']}"
        )
    if match["minor"] is not None:
        return None
    return PowertoolsLayer(arn, PINNED_V2, False, None)
