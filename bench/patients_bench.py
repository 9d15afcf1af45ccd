"""Seed 000 benchmark: GET /patients/{id} and POST /patients through the whole stack.

serverlite: `serverlite up` on services/patients with a test issuer's JWKS on
127.0.0.1: the HTTP API gateway (one process), its JWT authorizer (ES256), the
function with its four layers in its execution environments (one process each,
one invocation at a time, as many as the 8 connections need), PostgreSQL (the
embedded server), and per request one audit event published to EventBridge (a
PutEvents call to the local AWS endpoint) and appended by the RecordAudit consumer.

peer, in the same run: the same logic as a plain FastAPI app on uvicorn with one
worker process per core (``def`` endpoints in AnyIO's thread pool; 10 database
connections split across the workers), over the same database
(bench/peers/fastapi_patients.py): PyJWT against the same issuer's JWKS (cached),
the same PatientService, PostgresStore, FHIR validation, auth policy, logger and
metrics layers, and the same audit publisher: boto3's ``put_events`` to the same
local EventBridge bus, whose RecordAudit consumer stores the row (the target row).
A second run of the peer writes the audit row itself in a background task instead
(no bus, no boto3 call): what serverlite costs against an app without an event bus
is a row of its own.

Both are driven by the same load generator (bench/loadgen.py: 8 keep-alive
connections, asyncio, in this process). On a 2-core machine it competes with the
servers for CPU (~0.1 ms per request); both sides pay that equally. All three
servers start once and get a warm-up (400 GETs, 80 POSTs); then each round runs the
same GET and POST loads on each in turn, the order rotating every round, so each
side reads and writes a database of about the same size. After every load the bench
waits until that load's audit rows are stored, so that no backlog of one load is
consumed during the next. How long serverlite's backlogs took is a row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import ROOT, Row, aws_client, listening_port, serverlite_up, stop
from loadgen import LoadResult, run_load
from rounds import alternate, per_round, ratio, spread

SERVICE = ROOT / "services" / "patients"
SERVICE_PATH = [
    str(SERVICE / "src"),
    *(str(SERVICE / "layers" / n / "python") for n in ("auth", "logging", "metrics", "data")),
]
sys.path[:0] = SERVICE_PATH
PEERS = Path(__file__).resolve().parent / "peers"
CONNECTIONS = 8
FHIR = "application/fhir+json"
CLAIMS = {"sub": "bench-doc", "roles": ["clinician"], "org": "bench-org"}
PATIENT = {
    "resourceType": "Patient",
    "name": [{"family": "Benchmark", "given": ["Bea"]}],
    "gender": "female",
    "birthDate": "1980-05-17",
    "telecom": [{"system": "phone", "value": "+1 555 0100"}],
}


class Issuer:
    """An ES256 key and its JWKS on 127.0.0.1 (what identity serves)."""

    def __init__(self) -> None:
        import jwt
        from cryptography.hazmat.primitives.asymmetric import ec
        from jwt.algorithms import ECAlgorithm

        self.key = ec.generate_private_key(ec.SECP256R1())
        jwk = {**ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True), "kid": "k1"}
        body = json.dumps({"keys": [jwk]}).encode()

        class Keys(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        now = int(time.time())
        self.token = jwt.encode(
            {
                "iss": self.base,
                "aud": "patients",
                "iat": now,
                "exp": now + 3600,
                "scope": "patients:read patients:write",
                **CLAIMS,
            },
            self.key,
            algorithm="ES256",
            headers={"kid": "k1"},
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _start(state: str, issuer: Issuer) -> tuple[subprocess.Popen[bytes], str, str]:
    up = serverlite_up(
        SERVICE / "template.yaml",
        state,
        "--parameter-overrides",
        f"JwtIssuer={issuer.base}",
    )
    return up.proc, next(iter(up.apis.values())), up.aws_url


def _create(api: str, token: str) -> str:
    request = urllib.request.Request(
        f"{api}/patients",
        data=json.dumps(PATIENT).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": FHIR},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


def _local_client(service: str, aws: str) -> Any:
    return aws_client(service, aws)


def _database_url(aws: str) -> str:
    client = _local_client("secretsmanager", aws)
    secrets = client.list_secrets()["SecretList"]
    arn = next((s["ARN"] for s in secrets if "DatabaseSecret" in s["Name"]), secrets[0]["ARN"])
    return str(json.loads(client.get_secret_value(SecretId=arn)["SecretString"])["url"])


def _audit_bus(aws: str) -> str:
    buses = [b["Name"] for b in _local_client("events", aws).list_event_buses()["EventBuses"]]
    return next(name for name in buses if name.endswith("patients-audit"))


WORKERS = os.cpu_count() or 1
POOL_SIZE = max(2, 10 // WORKERS)  # the peer's 10 database connections, split by worker


def _start_peer(
    state: str, url: str, issuer: Issuer, aws: str, audit: str
) -> tuple[subprocess.Popen[bytes], int]:
    """bench/peers/fastapi_patients.py on uvicorn, a worker per core, on the same database."""
    log_path = Path(state) / f"fastapi-{audit}.log"
    path = [*SERVICE_PATH, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_ISSUER": issuer.base,
        "JWT_AUDIENCE": "patients",
        "POWERTOOLS_SERVICE_NAME": "patients",  # as the template's Globals set them
        "POWERTOOLS_METRICS_NAMESPACE": "Patients",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "PYTHONPATH": os.pathsep.join(path),
        "PEER_AUDIT": audit,
        "PEER_POOL_SIZE": str(POOL_SIZE),
        "AWS_ENDPOINT_URL": aws,
        "AUDIT_BUS_NAME": _audit_bus(aws),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "ASIASERVERLITEBENCH0",
        "AWS_SECRET_ACCESS_KEY": "not-a-secret",
    }
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "fastapi_patients:app",
                "--app-dir",
                str(PEERS),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--workers",
                str(WORKERS),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    port = listening_port(proc, 30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the FastAPI peer exited:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/patients/ready", timeout=1)
        except urllib.error.HTTPError:  # 401 without a token: it is up
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the FastAPI peer did not start within 30 s")


def _audit_rows(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM audit_events").fetchone()
    return int(row[0]) if row else 0


def _await_audit(url: str, expected: int, quiet_s: float = 3.0) -> tuple[int, float]:
    """Wait until ``expected`` audit rows are stored (or none arrive for ``quiet_s``)."""
    started = last_change = time.monotonic()
    count = _audit_rows(url)
    while count < expected and time.monotonic() - last_change < quiet_s:
        time.sleep(0.05)
        now = _audit_rows(url)
        if now != count:
            count, last_change = now, time.monotonic()
    return count, time.monotonic() - started


class _Side:
    """One server under load, and the audit rows its requests stored (one per request)."""

    def __init__(self, url: str, port: int, token: str, pid: str) -> None:
        self.url, self.port, self.pid = url, port, pid
        self.auth = {"Authorization": f"Bearer {token}"}
        self.sent = self.stored = 0
        self.audit_waits: list[float] = []

    def _run(self, path: str, requests: int, **kwargs: Any) -> LoadResult:
        """One load, then a wait until the audit rows of its requests are stored."""
        rows = _audit_rows(self.url)
        result = run_load("127.0.0.1", self.port, path, requests=requests, **kwargs)
        self.sent += result.requests
        stored, waited = _await_audit(self.url, rows + result.requests)
        self.stored += stored - rows
        self.audit_waits.append(waited)
        return result

    def get(self, requests: int) -> LoadResult:
        path = f"/patients/{self.pid}"
        return self._run(path, requests, max_seconds=30, headers=self.auth)

    def post(self, requests: int) -> LoadResult:
        create: dict[str, Any] = {
            "method": "POST",
            "body": json.dumps(PATIENT).encode(),
            "headers": {**self.auth, "Content-Type": FHIR},
        }
        return self._run("/patients", requests, max_seconds=30, **create)

    def round(self, gets: int, posts: int) -> tuple[LoadResult, LoadResult]:
        return self.get(gets), self.post(posts)


def _patients(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM patients").fetchone()
    return int(row[0]) if row else 0


def patients_rows(rounds: int, scale: float) -> list[Row]:
    gets, posts = max(400, int(1000 * scale)), max(100, int(300 * scale))
    issuer = Issuer()
    peer_procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as state:
            proc, api, aws = _start(state, issuer)
            try:
                pid = _create(api, issuer.token)
                url = _database_url(aws)
                _await_audit(url, 1)  # the record's own
                sides = {"serverlite": _Side(url, int(api.rsplit(":", 1)[1]), issuer.token, pid)}
                for audit in ("bus", "task"):
                    peer_proc, peer_port = _start_peer(state, url, issuer, aws, audit)
                    peer_procs.append(peer_proc)
                    sides[audit] = _Side(url, peer_port, issuer.token, pid)
                for side in sides.values():  # warm up (its audit backlog waited out)
                    side.round(400, 80)
                before = _patients(url)
                results = alternate(
                    rounds, {name: partial(side.round, gets, posts) for name, side in sides.items()}
                )
                after = _patients(url)
            finally:
                for peer_proc in peer_procs:
                    stop(peer_proc)
                stop(proc)
    finally:
        issuer.close()
    return _rows(results, sides, gets, posts, (before, after))


def _rows(
    results: dict[str, list[tuple[LoadResult, LoadResult]]],
    sides: dict[str, _Side],
    gets: int,
    posts: int,
    size: tuple[int, int],
) -> list[Row]:
    setup = (
        f"8 keep-alive connections; FastAPI on uvicorn, {WORKERS} workers (one per core), "
        f"{POOL_SIZE} database connections each; patients table {size[0]:,} -> {size[1]:,} rows"
    )
    rows = []
    for index, name, count in ((0, "GET /patients/{id}", gets), (1, "POST /patients", posts)):

        def rps(side: str, index: int = index) -> list[float]:
            return [r[index].rps for r in results[side]]

        def p50(side: str, index: int = index) -> list[float]:
            return [r[index].p50_ms for r in results[side]]

        rows += [
            Row(
                f"{name} req/s (gateway, JWT, function, PostgreSQL, audit to the bus)",
                spread(rps("serverlite")).show(),
                f"{spread(rps('bus')).show()} FastAPI, same code and bus",
                f"{ratio(rps('serverlite'), rps('bus')).show('.0%')} of FastAPI",
                f"{count:,} requests per round; {setup}",
                ">= 50%",
                ratio(rps("serverlite"), rps("bus")).median >= 0.5,
            ),
            Row(
                f"{name} latency p50",
                spread(p50("serverlite")).show(".2f", " ms"),
                f"{spread(p50('bus')).show('.2f', ' ms')} FastAPI",
                per_round(p50("serverlite"), p50("bus"), lambda a, b: a - b).show("+.2f", " ms"),
                "as above",
            ),
            Row(
                f"  {name} vs FastAPI writing the audit row itself (no bus)",
                spread(rps("serverlite")).show(),
                f"{spread(rps('task')).show()} FastAPI, background task",
                f"{ratio(rps('serverlite'), rps('task')).show('.0%')}",
                "as above",
            ),
        ]
        errors = [sum(r[index].errors for r in results[side]) for side in sides]
        if any(errors):
            rows.append(Row(f"  errors ({name})", str(errors[0]), str(errors[1:]), ""))
    ours, peer, plain = sides["serverlite"], sides["bus"], sides["task"]
    rows.append(
        Row(
            "  audit rows stored (EventBridge -> RecordAudit; no-bus peer: background task)",
            f"{ours.stored:,} of {ours.sent:,}; backlog stored "
            f"{spread(ours.audit_waits).show('.1f', ' s')} after a load",
            f"{peer.stored:,} of {peer.sent:,}; no bus: {plain.stored:,} of {plain.sent:,}",
            "",
        )
    )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(patients_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "patients")
