"""Seed 002 benchmark: identity's sign-in, and a public profile page with its location.

GET /profiles/{id} is the whole chain: profiles' gateway, the profiles function, a
service token from identity (cached), locations' gateway checking that JWT against
identity's JWKS, the locations function, two DynamoDB tables. Both run at 8
connections against `serverlite up` on bench/app_identity. The peers, in the same
run, are the same handler chains without serverlite: the same domain code, argon2id
parameters and ES256 signatures over in-memory stores, with no gateway, Lambda
environments, DynamoDB or HTTP between services; sign-ins in 8 worker processes
(argon2id is CPU-bound, and serverlite's functions are processes too), profile pages
from 8 threads in one process. The ratio is what serverlite adds on top of the code.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from common import ROOT, Row, free_port, percentile, serverlite_up, stop
from loadgen import LoadResult, run_load

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


def _consecutive_ports(count: int) -> int:
    for _ in range(100):
        first = free_port()
        probes = [socket.socket() for _ in range(count - 1)]
        try:
            for offset, probe in enumerate(probes, start=1):
                probe.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no {count} consecutive free ports")


def _start(state: str) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    port = _consecutive_ports(4)  # three APIs, then the AWS endpoint
    proc, output = serverlite_up(TEMPLATE, state, port, port + 3)
    return proc, dict(re.findall(r"^API (\S+): (\S+)\s*$", output, re.MULTILINE))


def _call(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def _split(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def serverlite_chain(scale: float) -> tuple[LoadResult, LoadResult]:
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

            host, port = _split(identity)
            body = json.dumps(USER).encode()
            signin = {"method": "POST", "body": body, "headers": JSON}
            run_load(host, port, "/signin", requests=2 * CONNECTIONS, max_seconds=30, **signin)
            signins = run_load(
                host, port, "/signin", requests=max(48, int(240 * scale)), max_seconds=20, **signin
            )
            host, port = _split(profiles)
            path = f"/profiles/{user_id}"
            run_load(host, port, path, requests=400, max_seconds=10)  # every environment warm
            pages = run_load(
                host, port, path, requests=max(1000, int(8000 * scale)), max_seconds=20
            )
            return signins, pages
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


def in_process_signins(requests: int) -> LoadResult:
    """Sign-ins in 8 worker processes (serverlite runs functions as processes too)."""
    with ProcessPoolExecutor(CONNECTIONS, initializer=_signin_worker_init) as pool:
        list(pool.map(_signin_once, range(CONNECTIONS)))  # every worker ready and warm
        started = time.perf_counter()
        latencies = list(pool.map(_signin_once, range(requests)))
        elapsed = time.perf_counter() - started
    return LoadResult(
        len(latencies), elapsed, percentile(latencies, 50), percentile(latencies, 99), 0
    )


def in_process_chain(scale: float) -> tuple[LoadResult, LoadResult]:
    """The same domain code, in-memory stores, no gateway, no environments, no HTTP."""
    import jwt
    from locations.domain import caller_from_claims, can_read
    from locations.domain import parse_location as parse_place
    from profiles.calls import Reply
    from profiles.domain import parse_profile, profile_page
    from profiles.locations_client import LocationsClient, ServiceTokens

    signins = in_process_signins(max(48, int(240 * scale)))
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
            return Reply(200, identity.service_token(form, kwargs["headers"]["Authorization"]))
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

    pages = _in_threads(page, max(1000, int(8000 * scale)))
    return signins, pages


def identity_rows(scale: float) -> list[Row]:
    signins, pages = serverlite_chain(scale)
    signins_peer, pages_peer = in_process_chain(scale)
    rows = [
        Row(
            "sign-in req/s, 8 connections (argon2id t=3 m=64 MiB, ES256)",
            f"{signins.rps:,.1f}",
            f"{signins_peer.rps:,.1f} same code, 8 processes",
            f"{signins.rps / signins_peer.rps:.0%} of bare processes",
        ),
        Row(
            "sign-in latency p50 / p99",
            f"{signins.p50_ms:.1f} / {signins.p99_ms:.1f} ms",
            f"{signins_peer.p50_ms:.1f} / {signins_peer.p99_ms:.1f} ms, 8 processes",
            f"{signins.p50_ms - signins_peer.p50_ms:+.1f} ms p50",
        ),
        Row(
            "GET /profiles/{id} req/s, 8 conn (gateway, profiles, JWT check, locations)",
            f"{pages.rps:,.0f}",
            f"{pages_peer.rps:,.0f} same chain in-process",
            f"{pages.rps / pages_peer.rps:.0%} of in-process",
        ),
        Row(
            "GET /profiles/{id} latency p50 / p99",
            f"{pages.p50_ms:.2f} / {pages.p99_ms:.2f} ms",
            f"{pages_peer.p50_ms:.2f} / {pages_peer.p99_ms:.2f} ms in-process",
            f"{pages.p50_ms - pages_peer.p50_ms:+.2f} ms p50",
        ),
    ]
    for name, result in (("sign-in", signins), ("profile page", pages)):
        if result.errors:
            rows.append(Row(f"  errors ({name})", str(result.errors), "", "", ""))
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(identity_rows(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
