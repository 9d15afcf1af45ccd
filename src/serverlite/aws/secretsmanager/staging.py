"""Version staging labels: which version is AWSCURRENT, AWSPREVIOUS, AWSPENDING, ...

A label is on at most one version. When AWSCURRENT moves to a new version, the
version that had it gets AWSPREVIOUS (taking it from whichever version had it).
A version left without labels is deprecated: ListSecretVersionIds hides it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
PENDING = "AWSPENDING"


def stage_new_version(
    stages: Mapping[str, str], version_id: str, requested: Sequence[str] = (CURRENT,)
) -> dict[str, str]:
    """The label -> version map after ``version_id`` is given the ``requested`` labels."""
    result = dict(stages)
    previous_current = stages.get(CURRENT)
    if CURRENT in requested and previous_current is not None and previous_current != version_id:
        result[PREVIOUS] = previous_current
    for stage in requested:
        result[stage] = version_id
    return result


def versions_to_stages(
    stages: Mapping[str, str], versions: Iterable[str] = ()
) -> dict[str, list[str]]:
    """version id -> its labels; ``versions`` adds the deprecated ones (no labels)."""
    result: dict[str, list[str]] = {version: [] for version in versions}
    for stage, version in sorted(stages.items()):
        result.setdefault(version, []).append(stage)
    return result


def deprecated(stages: Mapping[str, str], versions: Iterable[str]) -> list[str]:
    labelled = set(stages.values())
    return [version for version in versions if version not in labelled]
