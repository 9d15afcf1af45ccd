"""Seed 000 benchmark: GET /patients/{id} and POST /patients through the whole stack.

serverlite: `serverlite up` on services/patients with a test issuer's JWKS on
127.0.0.1: the HTTP API gateway (one process), its JWT authorizer (ES256), the
function with its four layers in its execution environments (one process each,
one invocation at a time, as many as the 8 connections need), PostgreSQL (the
embedded server), and per request one audit event published to EventBridge (a
PutEvents call to the local AWS endpoint) and appended by the RecordAudit consumer.

peer, in the same run: the same logic as a plain FastAPI app on uvicorn, one worker
(one process; ``def`` endpoints in AnyIO's thread pool), over the same database
(bench/peers/fastapi_patients.py): PyJWT against the same issuer's JWKS (cached),
the same PatientService, PostgresStore, FHIR validation, auth policy, logger and
metrics layers, and the same audit publisher: boto3's ``put_events`` to the same
local EventBridge bus, whose RecordAudit consumer stores the row (the target row).
A second run of the peer writes the audit row itself in a background task instead
(no bus, no boto3 call): what serverlite costs against an app without an event bus
is a row of its own.

Both are driven by the same load generator (bench/loadgen.py: 8 keep-alive
connections, asyncio, in this process). On a 2-core machine it competes with the
servers for CPU (~0.1 ms per request); both sides pay that equally. Each side gets a
warm-up (400 GETs, 80 POSTs) before its measured load, and after every load the
bench waits until that load's audit rows are stored, so that no backlog of one load
is consumed during the next. How long serverlite's last backlog took is a row.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import ROOT, Row, free_port, serverlite_up, stop
from loadgen import LoadResult, run_load

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
    port, aws_port = free_port(), free_port()
    proc, output = serverlite_up(
        SERVICE / "template.yaml",
        state,
        port,
        aws_port,
        "--parameter-overrides",
        f"JwtIssuer={issuer.base}",
    )
    api = re.search(r"^API \S+: (\S+)\s*$", output, re.MULTILINE)
    assert api is not None
    return proc, api.group(1), f"http://127.0.0.1:{aws_port}"


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
    import boto3

    return boto3.client(
        service,
        endpoint_url=aws,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _database_url(aws: str) -> str:
    client = _local_client("secretsmanager", aws)
    secrets = client.list_secrets()["SecretList"]
    arn = next((s["ARN"] for s in secrets if "DatabaseSecret" in s["Name"]), secrets[0]["ARN"])
    return str(json.loads(client.get_secret_value(SecretId=arn)["SecretString"])["url"])


def _audit_bus(aws: str) -> str:
    buses = [b["Name"] for b in _local_client("events", aws).list_event_buses()["EventBuses"]]
    return next(name for name in buses if name.endswith("patients-audit"))


def _start_peer(
    state: str, url: str, issuer: Issuer, aws: str, audit: str
) -> tuple[subprocess.Popen[bytes], int]:
    """bench/peers/fastapi_patients.py on uvicorn, one worker, on the same database."""
    port = free_port()
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
                str(port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
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

    def __init__(self, url: str, port: int, token: str, scale: float) -> None:
        self.url, self.port, self.scale = url, port, scale
        self.auth = {"Authorization": f"Bearer {token}"}
        self.sent = self.stored = 0
        self.audit_wait_s = 0.0

    def _run(self, path: str, requests: int, **kwargs: Any) -> LoadResult:
        """One load, then a wait until the audit rows of its requests are stored."""
        rows = _audit_rows(self.url)
        result = run_load("127.0.0.1", self.port, path, requests=requests, **kwargs)
        self.sent += result.requests
        stored, waited = _await_audit(self.url, rows + result.requests)
        self.stored += stored - rows
        self.audit_wait_s = waited
        return result

    def get(self, pid: str) -> LoadResult:
        path = f"/patients/{pid}"
        self._run(path, 400, max_seconds=10, headers=self.auth)  # warm-up
        requests = max(1000, int(8000 * self.scale))
        return self._run(path, requests, max_seconds=20, headers=self.auth)

    def post(self) -> LoadResult:
        create: dict[str, Any] = {
            "method": "POST",
            "body": json.dumps(PATIENT).encode(),
            "headers": {**self.auth, "Content-Type": FHIR},
        }
        self._run("/patients", 80, max_seconds=10, **create)  # warm-up
        requests = max(400, int(2000 * self.scale))
        return self._run("/patients", requests, max_seconds=20, **create)


def patients_rows(scale: float) -> list[Row]:
    issuer = Issuer()
    try:
        with tempfile.TemporaryDirectory() as state:
            proc, api, aws = _start(state, issuer)
            peer_proc = None
            try:
                pid = _create(api, issuer.token)
                url = _database_url(aws)
                _await_audit(url, 1)  # the record's own
                ours = _Side(url, int(api.rsplit(":", 1)[1]), issuer.token, scale)
                # One side at a time on the machine: after every load (warm-up
                # included) its audit backlog is stored before the next one starts.
                gets, posts = ours.get(pid), ours.post()
                peers: dict[str, tuple[_Side, LoadResult, LoadResult]] = {}
                for audit in ("bus", "task"):
                    peer_proc, peer_port = _start_peer(state, url, issuer, aws, audit)
                    peer = _Side(url, peer_port, issuer.token, scale)
                    peers[audit] = (peer, peer.get(pid), peer.post())
                    stop(peer_proc)
                    peer_proc = None
            finally:
                if peer_proc is not None:
                    stop(peer_proc)
                stop(proc)
    finally:
        issuer.close()
    peer, peer_gets, peer_posts = peers["bus"]
    plain, plain_gets, plain_posts = peers["task"]
    rows = []
    for name, ours_result, peer_result, plain_result in (
        ("GET /patients/{id}", gets, peer_gets, plain_gets),
        ("POST /patients", posts, peer_posts, plain_posts),
    ):
        rows += [
            Row(
                f"{name} req/s, 8 conn (gateway, JWT, function, PostgreSQL, audit to the bus)",
                f"{ours_result.rps:,.0f}",
                f"{peer_result.rps:,.0f} FastAPI (1 uvicorn worker), same code and bus",
                f"{ours_result.rps / peer_result.rps:.0%} of FastAPI",
                ">= 50%",
            ),
            Row(
                f"{name} latency p50 / p99",
                f"{ours_result.p50_ms:.2f} / {ours_result.p99_ms:.2f} ms",
                f"{peer_result.p50_ms:.2f} / {peer_result.p99_ms:.2f} ms",
                f"{ours_result.p50_ms - peer_result.p50_ms:+.2f} ms p50",
            ),
            Row(
                f"  {name} vs FastAPI writing the audit row itself (no bus)",
                f"{ours_result.rps:,.0f}",
                f"{plain_result.rps:,.0f} req/s, p50 {plain_result.p50_ms:.2f} ms",
                f"{ours_result.rps / plain_result.rps:.0%}",
                "",
            ),
        ]
        errors = (ours_result.errors, peer_result.errors, plain_result.errors)
        if any(errors):
            rows.append(Row(f"  errors ({name})", str(errors[0]), f"{errors[1]} / {errors[2]}", ""))
    rows.append(
        Row(
            "  audit rows stored (EventBridge -> RecordAudit; no-bus peer: background task)",
            f"{ours.stored:,} of {ours.sent:,}; the last {ours.audit_wait_s:.1f} s after the load",
            f"{peer.stored:,} of {peer.sent:,}; no bus: {plain.stored:,} of {plain.sent:,}",
            "",
        )
    )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(patients_rows(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
