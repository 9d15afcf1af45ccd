import asyncio

from serverlite.functions import protocol


def test_frames_roundtrip_through_an_async_reader():
    frame = protocol.encode({"type": "invoke", "n": 1}, b"\x00payload\xff")

    async def read():
        reader = asyncio.StreamReader()
        reader.feed_data(frame[:5])
        reader.feed_data(frame[5:])
        return await protocol.recv_async(reader)

    header, body = asyncio.run(read())
    assert header == {"type": "invoke", "n": 1}
    assert body == b"\x00payload\xff"


def test_truncated_frame_is_a_closed_channel():
    frame = protocol.encode({"type": "result"}, b"abc")

    async def read():
        reader = asyncio.StreamReader()
        reader.feed_data(frame[:-1])
        reader.feed_eof()
        return await protocol.recv_async(reader)

    try:
        asyncio.run(read())
    except EOFError:
        pass
    else:
        raise AssertionError("a truncated frame must raise EOFError")
