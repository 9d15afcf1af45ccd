"""profiles' calls to identity and locations, against fake HTTP (no sockets)."""

import threading
import time

from profiles.calls import Reply
from profiles.locations_client import LocationsClient, ServiceTokens

LOCATION = {
    "userId": "u1",
    "latitude": 1.5,
    "longitude": 2.5,
    "place": "Here",
    "updatedAt": "2025-05-01T11:00:00.000Z",
}


class FakeHttp:
    """Answers token requests and location requests; records what was asked."""

    def __init__(self, location=(200, LOCATION), delay_s=0.0, expires_in=900):
        self.location = location
        self.delay_s = delay_s
        self.expires_in = expires_in
        self.calls = []
        self.issued = 0

    def __call__(self, method, url, *, headers=None, data=None, timeout_s):
        self.calls.append((method, url, headers, data, timeout_s))
        if url.endswith("/token"):
            self.issued += 1
            return Reply(200, {"access_token": f"t{self.issued}", "expires_in": self.expires_in})
        if self.delay_s:
            time.sleep(min(self.delay_s, timeout_s))
            if self.delay_s > timeout_s:
                return Reply(0, {"message": "unreachable: timed out"})
        status, body = self.location
        return Reply(status, body)


def client(http, clock=None, budget_s=1.5):
    wall = clock or time.time
    tokens = ServiceTokens(
        "http://identity/token", lambda: ("profiles", "s3cret"), clock=wall, http=http
    )
    return LocationsClient("http://locations/", tokens, budget_s=budget_s, http=http), tokens


def test_the_location_comes_with_a_service_token():
    http = FakeHttp()
    locations, _ = client(http)
    assert locations.location_of("u1")["status"] == "available"
    token_call, location_call = http.calls
    assert token_call[0] == "POST" and token_call[1] == "http://identity/token"
    assert token_call[2]["Authorization"].startswith("Basic ")
    assert token_call[3] == b"grant_type=client_credentials&scope=locations%3Aread"
    assert location_call[1] == "http://locations/locations/u1"
    assert location_call[2] == {"Authorization": "Bearer t1"}


def test_the_token_is_cached_until_near_expiry():
    now = [1000.0]
    http = FakeHttp()
    locations, tokens = client(http, clock=lambda: now[0])
    for _ in range(3):
        locations.location_of("u1")
    assert tokens.fetches == 1
    now[0] += 840  # 60 s before expiry: time for a new one
    locations.location_of("u1")
    assert tokens.fetches == 2


def test_a_refused_token_is_dropped_and_fetched_again_once():
    http = FakeHttp(location=(401, {"message": "Unauthorized"}))
    locations, tokens = client(http)
    assert locations.location_of("u1") == {"status": "unavailable"}
    assert tokens.fetches == 2  # forgot t1 after the 401, tried once with t2


def test_slow_locations_cost_at_most_the_budget():
    http = FakeHttp(delay_s=2.0)
    locations, _ = client(http, budget_s=0.2)
    started = time.monotonic()
    assert locations.location_of("u1") == {"status": "unavailable"}
    assert time.monotonic() - started < 0.5


def test_a_hung_call_is_abandoned_at_the_deadline():
    release = threading.Event()

    def hangs(method, url, *, headers=None, data=None, timeout_s):
        if url.endswith("/token"):
            return Reply(200, {"access_token": "t", "expires_in": 900})
        release.wait(5)  # ignores its timeout, as a slow-drip server can make urllib do
        return Reply(200, LOCATION)

    locations, _ = client(hangs, budget_s=0.2)
    started = time.monotonic()
    try:
        assert locations.location_of("u1") == {"status": "unavailable"}
        assert time.monotonic() - started < 0.5
    finally:
        release.set()


def test_identity_down_means_location_unavailable():
    def down(method, url, *, headers=None, data=None, timeout_s):
        return Reply(0, {"message": "unreachable"})

    locations, _ = client(down)
    assert locations.location_of("u1") == {"status": "unavailable"}


def test_user_ids_are_quoted_into_the_path():
    http = FakeHttp(location=(404, None))
    locations, _ = client(http)
    assert locations.location_of("a b/c") == {"status": "not_shared"}
    assert http.calls[-1][1] == "http://locations/locations/a%20b%2Fc"
