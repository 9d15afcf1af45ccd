import asyncio
import marshal
import socket
import sys

import pytest

from serverlite.functions import protocol


class _Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True


def _channel() -> tuple[protocol.Channel, _Transport]:
    channel = protocol.Channel()
    transport = _Transport()
    channel.connection_made(transport)  # type: ignore[arg-type]
    return channel, transport


def test_frames_arrive_whole_however_the_bytes_are_split():
    frames = protocol.encode({"type": "invoke", "n": 1}, b"\x00payload\xff") + protocol.encode(
        {"type": "result"}, b""
    )

    async def read() -> list[protocol.Frame]:
        channel, _ = _channel()
        for i in range(len(frames)):  # one byte at a time
            channel.data_received(frames[i : i + 1])
        return [await channel.recv(), await channel.recv()]

    first, second = asyncio.run(read())
    assert first == ({"type": "invoke", "n": 1}, b"\x00payload\xff")
    assert second == ({"type": "result"}, b"")


def test_a_waiting_reader_wakes_when_its_frame_completes():
    frame = protocol.encode({"type": "result", "ok": True}, b"abc")

    async def read() -> protocol.Frame:
        channel, _ = _channel()
        loop = asyncio.get_running_loop()
        loop.call_soon(channel.data_received, frame[:7])
        loop.call_soon(channel.data_received, frame[7:])
        return await channel.recv()

    assert asyncio.run(read()) == ({"type": "result", "ok": True}, b"abc")


def test_truncated_frame_is_a_closed_channel():
    frame = protocol.encode({"type": "result"}, b"abc")

    async def read() -> protocol.Frame:
        channel, _ = _channel()
        channel.data_received(frame[:-1])
        channel.connection_lost(None)
        return await channel.recv()

    with pytest.raises(EOFError):
        asyncio.run(read())


def test_sending_writes_one_frame_and_a_closed_channel_refuses():
    channel, transport = _channel()
    channel.send({"type": "invoke"}, b"{}")
    assert transport.written == [protocol.to_environment({"type": "invoke"}, b"{}")]
    channel.eof_received()
    with pytest.raises(EOFError):
        channel.send({"type": "invoke"}, b"{}")


def test_headers_are_marshal_towards_the_environment_and_json_back():
    event = {"b": [2.5, "x"]}
    header = {"type": "invoke", "request_id": "r", "identity": {"a": [1, None]}, "event": event}
    frame = protocol.to_environment(header, b"body")
    raw = frame[8 : 8 + int.from_bytes(frame[:4], "big")]
    assert marshal.loads(raw) == header
    ours, theirs = socket.socketpair()
    with ours, theirs:
        env_side = protocol.BlockingChannel(theirs)
        ours.sendall(frame)
        assert env_side.recv() == (header, b"body")
        env_side.send_raw(b'{"type":"result","ok":true}', b"out")
        reply = ours.recv(1024)
    assert reply == protocol.encode({"type": "result", "ok": True}, b"out")
    assert reply[8:35] == b'{"type":"result","ok":true}'


def test_headers_towards_the_environment_carry_no_interned_strings():
    # Loading an interned string looks it up in the environment's table of interned
    # strings (huge after the zygote preloaded the SDK, and out of cache): none is sent.
    header = {"type": "invoke", "request_id": "r1", "event": {"httpMethod": "GET", "f": 0.1}}
    frame = protocol.to_environment(header)
    raw = frame[8 : 8 + int.from_bytes(frame[:4], "big")]
    loaded = marshal.loads(raw)
    assert loaded == header
    assert loaded["event"]["f"] == 0.1  # floats exact
    keys = [*loaded, *loaded["event"]]
    assert all(sys.intern(key) is not key for key in keys if len(key) > 1)


def test_whole_frames_partial_frames_and_several_at_once_all_come_out_in_order():
    one = protocol.encode({"n": 1}, b"a")
    two = protocol.encode({"n": 2}, b"")
    three = protocol.encode({"n": 3}, b"ccc")
    buffer = protocol._FrameBuffer()
    assert buffer.feed(one) == [({"n": 1}, b"a")]  # one whole frame: cut directly
    assert buffer.feed(two + three[:5]) == [({"n": 2}, b"")]
    assert buffer.feed(three[5:] + one) == [({"n": 3}, b"ccc"), ({"n": 1}, b"a")]
    assert buffer.feed(b"") == []
