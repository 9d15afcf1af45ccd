"""``serverlite aws ...``: the AWS CLI pointed at a running serverlite, as ``awslocal`` is.

A new user's ``aws`` fails before it reaches serverlite: no region ("You must specify a
region"), no credentials ("Unable to locate credentials"), and the endpoint to name on
every command. The wrapper adds what is missing and nothing the user set:
- ``--endpoint-url``: the running ``up``'s (from its state directory's owner.json), or
  AWS_ENDPOINT_URL, or the default http://127.0.0.1:4566;
- dummy credentials and the region, only where the environment has none (serverlite
  checks no signature, as the AWS endpoint's docs say);
- ``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` unless set: botocore puts an operation's
  endpoint host prefix before the endpoint's host (``stream-`` for
  ``logs start-live-tail``, ``sync-`` for ``stepfunctions start-sync-execution``),
  and ``stream-127.0.0.1`` resolves nowhere;
- on AWS CLI v2 only, ``--cli-binary-format raw-in-base64-out``: v2 reads blob arguments
  (``lambda invoke --payload``) as base64 unless told so, and v1 refuses the option.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from serverlite import defaults
from serverlite.errors import ConfigError


def endpoint_url(state_dir: Path, environ: Mapping[str, str]) -> str:
    from serverlite.state_lock import running_owner

    owner = running_owner(state_dir)
    if owner is not None and owner.endpoint_url:
        return owner.endpoint_url
    return environ.get("AWS_ENDPOINT_URL") or defaults.AWS_ENDPOINT_URL


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with dummy credentials unless it names some (keys or a profile),
    us-east-1 unless it names a region (serverlite's default region too), and host
    prefixes off unless it says."""
    env = dict(environ)
    if not (env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_PROFILE")):
        env["AWS_ACCESS_KEY_ID"] = env["AWS_SECRET_ACCESS_KEY"] = "test"
    if not (env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION")):
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    env.setdefault("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    return env


def command(aws: str, args: Sequence[str], endpoint: str, version: str) -> list[str]:
    """The ``aws`` command line: the user's ``args`` with what the wrapper adds."""
    added = [] if "--endpoint-url" in args else ["--endpoint-url", endpoint]
    if version.startswith("aws-cli/2") and "--cli-binary-format" not in args:
        added += ["--cli-binary-format", "raw-in-base64-out"]
    return [aws, *args, *added]


def run(args: Sequence[str], state_dir: Path) -> int:
    aws = shutil.which("aws")
    if aws is None:
        raise ConfigError(
            "the AWS CLI is not installed: `pip install awscli` (v1), or AWS's installer for v2"
        )
    env = environment(os.environ)
    # `aws --version` prints "aws-cli/2.15.0 Python/..." (v1 prints "aws-cli/1.x ...",
    # to stderr on old releases).
    probe = subprocess.run(
        [aws, "--version"], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    version = (probe.stdout or probe.stderr).strip()
    line = command(aws, args, endpoint_url(state_dir, os.environ), version)
    return subprocess.run(line, env=env, check=False).returncode
