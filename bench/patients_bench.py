"""Seed 000 benchmark: GET /patients/{id} and POST /patients through the whole stack.

serverlite: `serverlite up` on services/patients with a test issuer's JWKS on
127.0.0.1: the HTTP API gateway, its JWT authorizer (ES256), the function with its
four layers, PostgreSQL (the embedded server), and the audit event published to
EventBridge and stored by the consumer. 8 connections.

peer, in the same run: the same PatientService (auth rules, FHIR validation, the
PostgreSQL store on the same database) called in-process from 8 threads, each with
its own connection, the token verified by PyJWT, the audit event dropped: the cost
of the code itself. The ratio is what serverlite adds on top.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import ROOT, Row, free_port, percentile
from loadgen import LoadResult, run_load

SERVICE = ROOT / "services" / "patients"
sys.path[:0] = [
    str(SERVICE / "src"),
    *(str(SERVICE / "layers" / n / "python") for n in ("auth", "logging", "metrics", "data")),
]
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
    log_path = Path(state) / "serverlite.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "serverlite.cli",
                "up",
                "-t",
                str(SERVICE / "template.yaml"),
                "--port",
                str(port),
                "--aws-port",
                str(aws_port),
                "--state-dir",
                state,
                "--no-reload",
                "--warm",
                "--parameter-overrides",
                f"JwtIssuer={issuer.base}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        output = log_path.read_text(errors="replace")
        if proc.poll() is not None:
            raise RuntimeError(f"serverlite exited:\n{output}")
        if "serverlite is up" in output:
            api = re.search(r"^API \S+: (\S+)\s*$", output, re.MULTILINE)
            assert api is not None
            return proc, api.group(1), f"http://127.0.0.1:{aws_port}"
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("serverlite did not start within 90 s")


def _create(api: str, token: str) -> str:
    request = urllib.request.Request(
        f"{api}/patients",
        data=json.dumps(PATIENT).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": FHIR},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


def _database_url(aws: str) -> str:
    import boto3

    client = boto3.client(
        "secretsmanager",
        endpoint_url=aws,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    arn = client.list_secrets()["SecretList"][0]["ARN"]
    return str(json.loads(client.get_secret_value(SecretId=arn)["SecretString"])["url"])


def _in_threads(work: Callable[[], int], requests: int) -> LoadResult:
    latencies: list[float] = []
    failures: list[int] = []

    def worker(count: int) -> None:
        for _ in range(count):
            started = time.perf_counter()
            status = work()
            latencies.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                failures.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(worker, [requests // CONNECTIONS] * CONNECTIONS))
    elapsed = time.perf_counter() - started
    return LoadResult(
        len(latencies),
        elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
        len(failures),
    )


def in_process(url: str, issuer: Issuer, pid: str, scale: float) -> tuple[LoadResult, LoadResult]:
    """The same service code on the same database: no gateway, environments or bus."""
    import jwt
    import psycopg
    from patients.http import from_event
    from patients.service import PatientService
    from patients.store import PostgresStore

    local = threading.local()

    def connection() -> psycopg.Connection[Any]:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url, autocommit=True)
        return local.conn  # type: ignore[no-any-return]

    class DropAudit:
        def publish(self, event: object) -> None:
            pass

    service = PatientService(PostgresStore(connection), DropAudit())
    public = issuer.key.public_key()
    body = json.dumps(PATIENT)

    def call(action: str, method: str, path_id: str | None, payload: str | None) -> int:
        claims = jwt.decode(issuer.token, public, algorithms=["ES256"], audience="patients")
        event: dict[str, Any] = {
            "headers": {"host": "127.0.0.1", "content-type": FHIR},
            "requestContext": {
                "requestId": "bench",
                "http": {"method": method},
                "authorizer": {
                    "jwt": {
                        "claims": {  # as API Gateway prints them: arrays "[a b]"
                            k: f"[{' '.join(v)}]" if isinstance(v, list) else str(v)
                            for k, v in claims.items()
                        },
                        "scopes": claims["scope"].split(),
                    }
                },
            },
        }
        if path_id:
            event["pathParameters"] = {"id": path_id}
        if payload:
            event["body"] = payload
        reply, _ = service.handle(action, from_event(event))  # type: ignore[arg-type]
        json.dumps(reply.body)
        return reply.status

    gets = _in_threads(lambda: call("read", "GET", pid, None), max(1000, int(8000 * scale)))
    posts = _in_threads(lambda: call("create", "POST", None, body), max(400, int(2000 * scale)))
    return gets, posts


def patients_rows(scale: float) -> list[Row]:
    issuer = Issuer()
    try:
        with tempfile.TemporaryDirectory() as state:
            proc, api, aws = _start(state, issuer)
            try:
                pid = _create(api, issuer.token)
                host, port = api.removeprefix("http://").split(":")
                auth = {"Authorization": f"Bearer {issuer.token}"}
                path = f"/patients/{pid}"
                run_load(host, int(port), path, requests=400, max_seconds=10, headers=auth)
                gets = run_load(
                    host,
                    int(port),
                    path,
                    requests=max(1000, int(8000 * scale)),
                    max_seconds=20,
                    headers=auth,
                )
                create = {
                    "method": "POST",
                    "body": json.dumps(PATIENT).encode(),
                    "headers": {**auth, "Content-Type": FHIR},
                }
                run_load(host, int(port), "/patients", requests=80, max_seconds=10, **create)
                posts = run_load(
                    host,
                    int(port),
                    "/patients",
                    requests=max(400, int(2000 * scale)),
                    max_seconds=20,
                    **create,
                )
                peer_gets, peer_posts = in_process(_database_url(aws), issuer, pid, scale)
            finally:
                proc.send_signal(signal.SIGINT)  # Ctrl-C: SIGTERM would skip the shutdown
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    finally:
        issuer.close()
    rows = []
    for name, ours, peer in (
        ("GET /patients/{id}", gets, peer_gets),
        ("POST /patients", posts, peer_posts),
    ):
        rows += [
            Row(
                f"{name} req/s, 8 conn (gateway, JWT, function, PostgreSQL, audit)",
                f"{ours.rps:,.0f}",
                f"{peer.rps:,.0f} same service in-process",
                f"{ours.rps / peer.rps:.0%} of in-process",
            ),
            Row(
                f"{name} latency p50 / p99",
                f"{ours.p50_ms:.2f} / {ours.p99_ms:.2f} ms",
                f"{peer.p50_ms:.2f} / {peer.p99_ms:.2f} ms in-process",
                f"{ours.p50_ms - peer.p50_ms:+.2f} ms p50",
            ),
        ]
        if ours.errors or peer.errors:
            rows.append(Row(f"  errors ({name})", str(ours.errors), str(peer.errors), ""))
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(patients_rows(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
