from serverlite.gateway.model import ThrottleSpec
from serverlite.gateway.throttling import Throttles, TokenBucket


def test_bucket_allows_burst_then_refills_at_rate():
    now = [0.0]
    bucket = TokenBucket(ThrottleSpec(rate=2.0, burst=3), clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back at 2/s
    assert bucket.take() is True
    assert bucket.take() is False
    now[0] = 100.0  # never more than the burst
    assert sum(bucket.take() for _ in range(10)) == 3


def test_throttles_keep_one_bucket_per_key_and_none_means_unlimited():
    now = [0.0]
    throttles = Throttles(clock=lambda: now[0])
    spec = ThrottleSpec(rate=1.0, burst=1)
    assert throttles.allow(("a",), spec)
    assert not throttles.allow(("a",), spec)
    assert throttles.allow(("b",), spec)
    assert all(throttles.allow(("c",), None) for _ in range(100))
