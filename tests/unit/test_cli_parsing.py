import pytest

from serverlite.cli import parse_duration
from serverlite.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("45", 45), ("1.5m", 90)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_bad_duration_says_what_to_write():
    with pytest.raises(ConfigError, match="use e.g. 30s"):
        parse_duration("ten minutes")
