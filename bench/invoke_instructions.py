"""Instructions per warm Invoke in the serving process, counted by callgrind.

Wall-clock figures move with the machine's load; the instructions the serving
process executes per request hardly do, so a change of a few percent shows here when
the lambda suite's round trips cannot tell it from noise. ``serverlite up`` runs
bench/app under ``valgrind --tool=callgrind`` (its environments run natively), and
counting is switched on only around ``--invokes`` sequential Invoke calls on one
keep-alive connection, after a warm-up. Printed: instructions per Invoke on the
event loop's thread (what the round trip waits for) and on the other threads (the
log, trace and metric writers). Work on a timer (the writers' flushes, the memory
watchdog) is counted per wall-clock second, not per call, so runs differ by about 1%.

    python bench/invoke_instructions.py [--invokes 2000] [--tree PATH] [--gateway]

``--tree`` measures another checkout's ``src`` with this environment (an earlier
commit, checked out with ``git worktree add``), for a before/after pair.
``--gateway`` counts GET /hello on bench/app_gateway's REST API instead (API Gateway's
pipeline and the same invoke behind it).
"""

from __future__ import annotations

import argparse
import glob
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, bound_urls, serverlite_command, stop, wait_http

PATH = "/2015-03-31/functions/BenchFunction/invocations"
# The endpoint wants a SigV4-shaped Authorization, as AWS does (it verifies none).
HEADERS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/"
    "aws4_request, SignedHeaders=host, Signature=0"
}


def invoke(conn: http.client.HTTPConnection, count: int, gateway: bool = False) -> None:
    for _ in range(count):
        if gateway:
            conn.request("GET", "/hello")
        else:
            conn.request("POST", PATH, b'{"n": 1}', HEADERS)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status


def totals(out: str) -> list[int]:
    """Each thread's instruction total of the dump (the event loop's thread first)."""
    counts = []
    for name in sorted(glob.glob(f"{out}.1-*")):
        with open(name) as dump:
            counts += [int(line.split()[1]) for line in dump if line.startswith("totals:")]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invokes", type=int, default=2000)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--gateway", action="store_true", help="requests through the REST API")
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(args.tree.resolve() / "src")}
    app, gateway = ("app_gateway", True) if args.gateway else ("app", False)
    with tempfile.TemporaryDirectory() as tmp:
        state, out = Path(tmp) / "state", f"{tmp}/callgrind.out"
        state.mkdir()
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
            f"--callgrind-out-file={out}",
            *serverlite_command(ROOT / f"bench/{app}/template.yaml", state),
        ]  # fmt: skip
        with open(state / "serverlite.log", "ab") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            urls = bound_urls(proc, state, 600)
            port = int(urls["aws"].rpartition(":")[2])
            wait_http(f"http://127.0.0.1:{port}/_serverlite/health", proc, 600)
            if gateway:  # http://127.0.0.1:PORT/Prod
                port = int(urls["apis"]["ServerlessRestApi"].split(":")[2].split("/")[0])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            invoke(conn, 200, gateway)  # the environment started, the connection open
            control = ["callgrind_control"]
            subprocess.run([*control, "-i", "on", str(proc.pid)], check=True, capture_output=True)
            invoke(conn, args.invokes, gateway)
            subprocess.run([*control, "-i", "off", str(proc.pid)], check=True, capture_output=True)
            subprocess.run([*control, "-d", str(proc.pid)], check=True, capture_output=True)
            time.sleep(1)  # the dump is written by the process itself
            conn.close()
        finally:
            stop(proc)
        loop, *others = totals(out)
    what = "gateway request" if gateway else "Invoke"
    print(
        f"{args.tree}: {loop / args.invokes:,.0f} instructions per {what} on the event "
        f"loop's thread, {sum(others) / args.invokes:,.0f} on the others "
        f"({args.invokes} sequential {what}s, one keep-alive connection)"
    )


if __name__ == "__main__":
    sys.exit(main())
