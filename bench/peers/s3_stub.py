"""The S3 suite's client floor: a server that answers PutObject and GetObject at once
(keep-alive HTTP/1.1, nothing stored, no checks), so the boto3 client's own time per
call (serialising, SigV4 with the payload's SHA-256, the request checksum, parsing)
is measured with the same client code as the real servers (plus what a minimal
server costs: the floor is, if anything, high). It listens on a port from
the OS (port 0); the bench reads which from /proc.

    python bench/peers/s3_stub.py
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODIES = {"KB": b"k" * 1024, "MB": b"m" * 1024 * 1024}


class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body go out in two writes: without TCP_NODELAY the body waits
    # for the client's delayed ACK (~40 ms), which would be measured instead of the client.
    disable_nagle_algorithm = True

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("ETag", '"0"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        body = BODIES["MB" if "MB" in self.path else "KB"]
        self.send_response(200)
        self.send_header("ETag", '"0"')
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 0), Stub).serve_forever()
