"""A request body read as it arrives, with SigV4's aws-chunked framing taken off.

SDKs stream uploads in ``aws-chunked`` framing when they sign chunk by chunk
(``x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD``) or send the checksum
after the body (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``, botocore over TLS, the JS and
Java SDKs everywhere):

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;...]\\r\\n
    x-amz-checksum-crc32:<base64>\\r\\n[x-amz-trailer-signature:<sig>\\r\\n]\\r\\n

The data is handed on as it comes, never gathered whole; the trailers are kept for the
operation to check once the body is read. The limit counts decoded bytes and is
enforced while reading. Chunk signatures are not verified (the endpoint verifies no
signature), but the framing is: a malformed frame is S3's ``IncompleteBody``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from serverlite.aws.backend import AwsError

MAX_FRAME_LINE = 4096  # a size line or a trailer: a hex size and a signature, or a checksum


def is_aws_chunked(headers: Mapping[str, str]) -> bool:
    if headers.get("x-amz-content-sha256", "").startswith("STREAMING-"):
        return True
    encodings = headers.get("content-encoding", "")
    return "aws-chunked" in [part.strip() for part in encodings.split(",")]


def too_large(limit: int) -> AwsError:
    return AwsError(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        400,
        MaxSizeAllowed=str(limit),
    )


def incomplete(message: str = "The request body terminated unexpectedly") -> AwsError:
    return AwsError("IncompleteBody", message, 400)


class StreamedBody:
    """The body of one request: ``chunks()`` once (objects), or ``read()`` (documents)."""

    def __init__(
        self,
        stream: AsyncIterator[bytes],
        headers: Mapping[str, str],
        limit: int,
        document_limit: int,
    ) -> None:
        self._stream = stream
        self._chunked = is_aws_chunked(headers)
        self._limit = limit
        self._document_limit = document_limit
        self.trailers: dict[str, str] = {}
        declared = headers.get(
            "x-amz-decoded-content-length" if self._chunked else "content-length"
        )
        self.declared = int(declared) if declared is not None and declared.isdigit() else None
        self._used = False
        self.complete = self.declared == 0  # read to its end (or there is none)

    async def read(self) -> bytes:
        """The whole body, for an XML document: refused past the document limit."""
        if self.declared is not None and self.declared > self._document_limit:
            raise AwsError("MaxMessageLengthExceeded", "Your request was too big.", 400)
        parts: list[bytes] = []
        size = 0
        async for chunk in self.chunks():
            size += len(chunk)
            if size > self._document_limit:
                raise AwsError("MaxMessageLengthExceeded", "Your request was too big.", 400)
            parts.append(chunk)
        return b"".join(parts)

    async def chunks(self) -> AsyncIterator[bytes]:
        if self._used:
            raise RuntimeError("a request body is read once")
        self._used = True
        if self.declared is not None and self.declared > self._limit:
            raise too_large(self._limit)
        source = _decoded(self._stream, self.trailers) if self._chunked else self._stream
        size = 0
        async for chunk in source:
            if not chunk:
                continue
            size += len(chunk)
            if size > self._limit:
                raise too_large(self._limit)
            yield chunk
        self.complete = True
        if self.declared is not None and size != self.declared:
            raise incomplete(
                "You did not provide the number of bytes specified by the Content-Length "
                "HTTP header."
            )


async def _decoded(stream: AsyncIterator[bytes], trailers: dict[str, str]) -> AsyncIterator[bytes]:
    """aws-chunked frames in, data out; the trailers go into ``trailers``."""
    buffer = bytearray()
    source = stream.__aiter__()
    ended = False

    async def fill() -> bool:
        nonlocal ended
        if ended:
            return False
        try:
            buffer.extend(await source.__anext__())
        except StopAsyncIteration:
            ended = True
            return False
        return True

    async def line() -> bytes:
        while True:
            end = buffer.find(b"\r\n")
            if end >= 0:
                text = bytes(buffer[:end])
                del buffer[: end + 2]
                return text
            if len(buffer) > MAX_FRAME_LINE or not await fill():
                raise incomplete()

    while True:
        header = await line()
        size_text = header.split(b";", 1)[0].strip()
        try:
            remaining = int(size_text, 16)
        except ValueError as exc:
            raise incomplete("The aws-chunked frame's size is not hexadecimal") from exc
        if remaining == 0:
            break
        while remaining:
            if not buffer and not await fill():
                raise incomplete()
            take = min(remaining, len(buffer))
            yield bytes(buffer[:take])
            del buffer[:take]
            remaining -= take
        if await line() != b"":
            raise incomplete("An aws-chunked frame is longer than its size")
    while True:  # trailers, up to the empty line (or the end of the stream)
        if not buffer and ended:
            return
        try:
            text = await line()
        except AwsError:
            if not buffer:
                return  # some clients end without the closing empty line
            raise
        if not text:
            return
        name, _, value = text.decode("latin-1").partition(":")
        trailers[name.strip().lower()] = value.strip()
