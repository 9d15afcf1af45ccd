"""The runtime asks its log pipe how much serverlite has not read, with one call."""

import os

from serverlite.functions import runtime


def test_unread_log_bytes_are_counted_on_the_pipe_itself(monkeypatch):
    # After each invocation the runtime tells serverlite whether the log pipe holds
    # anything (an empty one is not read): one FIONREAD on the pipe's own descriptor,
    # whatever the handler did to its stdout and stderr.
    read_end, write_end = os.pipe()
    try:
        monkeypatch.setattr(runtime, "_log_pipe", write_end)
        assert runtime._unread_logs() == 0
        os.write(write_end, b"line\n")
        assert runtime._unread_logs() == 5
        os.read(read_end, 5)
        assert runtime._unread_logs() == 0
    finally:
        os.close(read_end)
        os.close(write_end)
