import pytest

from serverlite.cli import is_loopback, parse_duration
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


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("myhost.example", False),  # a name may resolve anywhere
    ],
)
def test_binding_beyond_loopback_is_recognised_for_the_warning(host, loopback):
    assert is_loopback(host) is loopback
