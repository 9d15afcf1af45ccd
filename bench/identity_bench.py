"""Seed 002 benchmark: identity's sign-in, and a public profile page with its location.

GET /profiles/{id} is the whole chain: profiles' gateway, the profiles function, a
service token from identity (cached), locations' gateway checking that JWT against
identity's JWKS, the locations function, two DynamoDB tables. Both run at 8
connections against `serverlite up` on bench/app_identity. The peers, in the same
run, are the same handler chains without serverlite: the same domain code, argon2id
parameters and ES256 signatures over in-memory stores, with no gateway, Lambda
environments, DynamoDB or HTTP between services; sign-ins in one worker process per
core (argon2id is CPU-bound, with 4 lanes per hash: more processes than cores only
thrash its 64 MiB blocks), profile pages from 8 threads in one process. The ratio is
what serverlite adds on top of the code. Both sides are set up once; each round runs
the same number of requests on each, in an order that rotates every round.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from common import ROOT, Row, percentile, serverlite_up, stop
from loadgen import LoadResult, run_load
from rounds import alternate, per_round, ratio, spread

TEMPLATE = ROOT / "bench" / "app_identity" / "template.yaml"
SERVICES = ROOT / "services"
# The services' code is Lambda code, not installed packages; the fakes are identity's.
sys.path[:0] = [
    *(str(SERVICES / name / "src") for name in ("identity", "locations", "profiles")),
    str(SERVICES / "identity" / "tests"),
]
USER = {"username": "bench-user", "password": "correct horse battery staple"}
JSON = {"Content-Type": "application/json"}
CONNECTIONS = 8
SIGNIN_WORKERS = os.cpu_count() or 1


def _start(state: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    up = serverlite_up(TEMPLATE, state)
    return up.proc, up.apis


def _call(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _split(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


@contextmanager
def serverlite_chain() -> Iterator[tuple[Callable[[int], LoadResult], Callable[[int], LoadResult]]]:
    """`serverlite up` with a user, a location and a profile: (sign-ins, pages) loads."""
    with tempfile.TemporaryDirectory() as state:
        proc, urls = _start(state)
        try:
            identity = urls["Identity/IdentityApi"]
            locations = urls["Locations/LocationsApi"]
            profiles = urls["Profiles/ProfilesApi"]
            _call("POST", f"{identity}/signup", USER)
            session = _call("POST", f"{identity}/signin", USER)
            user_id, token = session["user_id"], session["access_token"]
            place = {"latitude": 48.8584, "longitude": 2.2945, "place": "Paris"}
            _call("PUT", f"{locations}/locations/{user_id}", place, token)
            _call("PUT", f"{profiles}/profiles/{user_id}", {"displayName": "Bench"}, token)
            page = _call("GET", f"{profiles}/profiles/{user_id}")
            if page["location"]["status"] != "available":
                raise RuntimeError(f"the profile page has no location: {page}")
            signin_at, pages_at = _split(identity), _split(profiles)
            signin = {"method": "POST", "body": json.dumps(USER).encode(), "headers": JSON}
            path = f"/profiles/{user_id}"

            def signins(requests: int) -> LoadResult:
                return run_load(*signin_at, "/signin", requests=requests, max_seconds=60, **signin)

            def pages(requests: int) -> LoadResult:
                return run_load(*pages_at, path, requests=requests, max_seconds=30)

            signins(2 * CONNECTIONS)  # every environment warm
            pages(400)
            yield signins, pages
        finally:
            stop(proc)


def _in_threads(work: Callable[[], object], requests: int) -> LoadResult:
    latencies: list[float] = []

    def worker(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            work()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(worker, [requests // CONNECTIONS] * CONNECTIONS))
    elapsed = time.perf_counter() - started
    return LoadResult(
        len(latencies), elapsed, percentile(latencies, 50), percentile(latencies, 99), 0
    )


_WORKER: Any = None


def _identity_in_memory() -> Any:
    from identity.domain import Client, RateLimit
    from identity.passwords import Passwords
    from identity.service import IdentityService, Settings, SigningKeys
    from identity_fakes import Clients, MemoryStore, MemoryVault

    return IdentityService(
        Settings(issuer="http://127.0.0.1:3000", ip_limit=RateLimit(10**9, 60)),
        MemoryStore(),
        SigningKeys(MemoryVault()),
        Clients(Client("profiles", "s3cret", ("locations:read",))),
        Passwords(),
    )


def _signin_worker_init() -> None:
    global _WORKER
    _WORKER = _identity_in_memory()
    _WORKER.signup(USER)


def _signin_once(_: int) -> float:
    started = time.perf_counter()
    _WORKER.signin(USER, "127.0.0.1")
    return (time.perf_counter() - started) * 1000


@contextmanager
def in_process_chain() -> Iterator[tuple[Callable[[int], LoadResult], Callable[[int], LoadResult]]]:
    """The same domain code, in-memory stores, no gateway, no environments, no HTTP."""
    import jwt
    from locations.domain import caller_from_claims, can_read
    from locations.domain import parse_location as parse_place
    from profiles.calls import Reply
    from profiles.domain import parse_profile, profile_page
    from profiles.locations_client import LocationsClient, ServiceTokens

    identity = _identity_in_memory()
    issuer = identity.settings.issuer
    user_id = identity.signup(USER)["user_id"]

    now = datetime.now(UTC)
    place = {"latitude": 48.8584, "longitude": 2.2945, "place": "Paris"}
    located = {user_id: parse_place(user_id, place, now).to_json()}
    profiles = {user_id: parse_profile(user_id, {"displayName": "Bench"}, now)}
    public = {k["kid"]: jwt.PyJWK(k).key for k in identity.jwks()["keys"]}

    def http(method: str, url: str, **kwargs: Any) -> Reply:
        if url.endswith("/token"):
            form = dict(parse_qsl(kwargs["data"].decode()))
            auth = kwargs["headers"]["Authorization"]
            return Reply(200, identity.service_token(form, auth, "127.0.0.1"))
        token = kwargs["headers"]["Authorization"].removeprefix("Bearer ")
        kid = jwt.get_unverified_header(token)["kid"]  # what the JWT authorizer checks
        claims = jwt.decode(token, public[kid], algorithms=["ES256"], audience="locations")
        wanted = url.rsplit("/", 1)[1]
        if not can_read(caller_from_claims({k: str(v) for k, v in claims.items()}), wanted):
            return Reply(403, None)
        return Reply(200, json.loads(json.dumps(located[wanted])))

    tokens = ServiceTokens(f"{issuer}/token", lambda: ("profiles", "s3cret"), http=http)
    locations = LocationsClient("http://locations", tokens, http=http)

    def page() -> str:
        return json.dumps(profile_page(profiles[user_id], locations.location_of(user_id)))

    # Sign-ins in one worker process per core: their best throughput on this machine.
    with ProcessPoolExecutor(SIGNIN_WORKERS, initializer=_signin_worker_init) as pool:
        list(pool.map(_signin_once, range(SIGNIN_WORKERS)))  # every worker ready and warm

        def signins(requests: int) -> LoadResult:
            started = time.perf_counter()
            latencies = list(pool.map(_signin_once, range(requests)))
            elapsed = time.perf_counter() - started
            return LoadResult(
                len(latencies), elapsed, percentile(latencies, 50), percentile(latencies, 99), 0
            )

        yield signins, lambda requests: _in_threads(page, requests)


def identity_rows(rounds: int, scale: float) -> list[Row]:
    signin_count = max(16, int(24 * scale))
    page_count = max(400, int(1000 * scale))
    with serverlite_chain() as (signins, pages), in_process_chain() as (peer_signins, peer_pages):
        results = alternate(
            rounds,
            {
                "signins": lambda: signins(signin_count),
                "peer signins": lambda: peer_signins(signin_count),
                "pages": lambda: pages(page_count),
                "peer pages": lambda: peer_pages(page_count),
            },
        )

    def of(name: str, what: str) -> list[float]:
        return [float(getattr(r, what)) for r in results[name]]

    def diff(a: list[float], b: list[float]) -> str:
        return per_round(a, b, lambda x, y: x - y).show("+,.1f", " ms")

    rows = [
        Row(
            "sign-in req/s (argon2id t=3 m=64 MiB, ES256)",
            spread(of("signins", "rps")).show(",.1f"),
            f"{spread(of('peer signins', 'rps')).show(',.1f')} same code, in-process",
            f"{ratio(of('signins', 'rps'), of('peer signins', 'rps')).show('.0%')} "
            "of bare processes",
            f"{signin_count} sign-ins per round; serverlite 8 keep-alive connections, "
            f"peer {SIGNIN_WORKERS} worker processes (one per core)",
        ),
        Row(
            "sign-in latency p50",
            spread(of("signins", "p50_ms")).show(".1f", " ms"),
            spread(of("peer signins", "p50_ms")).show(".1f", " ms"),
            diff(of("signins", "p50_ms"), of("peer signins", "p50_ms")),
            "as above",
        ),
        Row(
            "GET /profiles/{id} req/s (gateway, profiles, JWT check, locations, DynamoDB)",
            spread(of("pages", "rps")).show(),
            f"{spread(of('peer pages', 'rps')).show()} same chain in-process",
            f"{ratio(of('pages', 'rps'), of('peer pages', 'rps')).show('.0%')} of in-process",
            f"{page_count:,} pages per round; serverlite 8 keep-alive connections, "
            "peer 8 threads in one process, in-memory stores",
        ),
        Row(
            "GET /profiles/{id} latency p50",
            spread(of("pages", "p50_ms")).show(".2f", " ms"),
            spread(of("peer pages", "p50_ms")).show(".2f", " ms"),
            diff(of("pages", "p50_ms"), of("peer pages", "p50_ms")),
            "as above",
        ),
    ]
    for name in ("signins", "pages"):
        errors = sum(r.errors for r in results[name])
        if errors:
            rows.append(Row(f"  errors ({name})", str(errors), "", ""))
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(identity_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "identity")
