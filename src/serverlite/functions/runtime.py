"""The inside of an execution environment: what runs in the forked process.

It plays the part of AWS's Python runtime interface client: sets the environment,
imports the handler (the init phase), then runs one invocation at a time, returning
results and errors in the exact shapes AWS's runtime produces. Nothing here may
import serverlite modules beyond this package's light ones: it runs in every
environment.
"""

from __future__ import annotations

# The C half of socket: socket.py makes its enums (IntEnum._convert_ of every constant)
# at import, a seventh of this module's import in a light zygote's first environment,
# and the channel needs none of it (a function that uses sockets imports socket itself).
# signal.py likewise (its Signals, Handlers, Sigmasks enums): the runtime only resets
# three handlers.
import _signal  # type: ignore[import-not-found]  # no stub; the names are signal's
import _socket
import contextlib
import fcntl
import importlib
import io
import json
import logging
import os
import resource
import sys
import termios
import time
import traceback
from collections.abc import Callable, Iterator

from serverlite.functions import boot, debugging, frames
from serverlite.functions.context import LambdaContext

# typing's own TYPE_CHECKING would import typing (~1 ms of a first environment's start,
# which a light zygote's fork pays for before its first answer): mypy reads any name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    Handler = Callable[[Any, LambdaContext], Any]
    ErrorPayload = dict[str, Any]

# AWS's Python runtime formats the root logger like this (text log format).
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
LOG_DATEFMT = "%Y-%m-%dT%H:%M:%S"
# A multi-line log record is one log event on AWS; "\r" carries the inner newlines
# through the line-based log pipe and the reader turns them back into "\n".
EVENT_NEWLINE = "\r"


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _LambdaLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", EVENT_NEWLINE)


_request_filter = _RequestIdFilter()
_UNNAMED: list[Any] = []  # serverlite's modules, out of sys.modules in an environment
_OWN_MODULES: tuple[str, ...] | None = None  # their names, as the zygote found them


def _own_modules() -> tuple[str, ...]:
    return tuple(name for name in sys.modules if name.partition(".")[0] == "serverlite")


def before_forks() -> None:
    """The zygote, preloaded, names serverlite's modules once for all its forks: walking
    sys.modules in each environment would write to every module name's reference count,
    copying a page of the zygote's for each (1.2 MiB an environment, measured)."""
    global _OWN_MODULES
    _OWN_MODULES = _own_modules()


# AWS_LAMBDA_LOG_LEVEL -> the logging level AWS's Python runtime gives the root logger.
_LOG_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}
# A LogRecord's own attributes; any other one (logging's extra=) joins the JSON record.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "aws_request_id",
}


def _utc_timestamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + (
        f".{int(created * 1000) % 1000:03d}Z"
    )


class _JsonFormatter(logging.Formatter):
    """AWS's Python runtime's record for LogFormat JSON: timestamp, level, message,
    logger, requestId, the exception's errorType/errorMessage/stackTrace, and extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "timestamp": _utc_timestamp(record.created),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["errorType"] = type(exc).__name__
            out["errorMessage"] = str(exc)
            out["stackTrace"] = traceback.format_tb(exc.__traceback__)
        request_id = getattr(record, "aws_request_id", "")
        if request_id:
            out["requestId"] = request_id
        out.update((k, v) for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES)
        return json.dumps(out, default=str, ensure_ascii=False)


def _json_logs() -> bool:
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def fault(error_type: str, message: str, trace: list[str] | None = None) -> ErrorPayload:
    """An error raised by the runtime itself (init faults carry no request id)."""
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": "",
        "stackTrace": trace or [],
    }


def _user_trace(exc: BaseException, skip: int = 1) -> list[str]:
    entries = traceback.extract_tb(exc.__traceback__)[skip:]
    return traceback.format_list(entries)


def load_handler(handler: str) -> tuple[Handler | None, ErrorPayload | None]:
    """Import ``module.function`` as AWS's runtime does, mapping failures to its faults."""
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as exc:
        return None, fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}")
    if modname.split(".")[0] in sys.builtin_module_names:
        return None, fault(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {modname} as a handler module",
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        return None, fault(
            "Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}"
        )
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        return None, fault(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}", trace
        )
    except Exception as exc:  # an exception at import time is the init error itself
        # The trace starts at importlib's import_module, as AWS's does: this frame is
        # serverlite's, as AWS's own runtime frame is not shown (LocalStack's
        # AWS-validated snapshot test_lambda_runtime_error).
        return None, fault(type(exc).__name__, str(exc), _user_trace(exc, skip=1))
    func = getattr(module, fname, None)
    if func is None:
        return None, fault(
            "Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'"
        )
    return func, None


def _json_default(obj: Any) -> Any:
    # AWS's runtime serialises Decimal (what boto3's DynamoDB resource returns). There is
    # none unless the function imported decimal: the runtime does not (~1 ms of a start).
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(obj, decimal.Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# json.dumps with these arguments would build an encoder per call.
_RESULT_ENCODER = json.JSONEncoder(default=_json_default, ensure_ascii=False)


def serialize_result(result: Any) -> bytes:
    return _RESULT_ENCODER.encode(result).encode()


def _setup_process(spec: dict[str, Any], log_fd: int | None) -> int | None:
    """``log_fd`` None: this runtime was started by an exec wrapper, in the process the
    zygote forked (session, signals and output already set) with the variables the
    wrapper chose, which it keeps.

    Returns serverlite's own stderr when the function is being debugged (where the
    debugger's "attach here" line goes), else None."""
    global _log_pipe
    announce_fd = None
    if log_fd is not None:
        if spec.get("debug"):
            announce_fd = os.dup(2)  # the zygote's stderr is serverlite's
        os.setsid()  # own process group: a timeout kills the handler's children too
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)  # the zygote ignores it
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        # Kept (not inherited by programs the handler runs) to ask the pipe how much is
        # unread after each invocation with one call, whatever the handler did to 1 and 2.
        os.set_inheritable(log_fd, False)
        _log_pipe = log_fd
        os.environ.clear()
        os.environ.update(spec["env"])
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True, write_through=True
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True, write_through=True
    )
    time.tzset()
    os.chdir(spec["code_dir"])
    # The function's world, then the interpreter's standard library; not the shim
    # serverlite's runtime was imported from (its modules stay loaded).
    dropped = {"", os.getcwd(), spec.get("shim"), *spec["sys_path"]}
    sys.path[:] = [*spec["sys_path"], *(p for p in sys.path if p not in dropped)]
    if spec.get("debugpy"):  # under --debug only: debugpy alone, last
        sys.path.append(spec["debugpy"])
    if spec.get("shim"):
        # Lambda's runtime is not importable by the function's code, and neither is this
        # one: its modules keep running, unnamed, and referenced (freeing them would write
        # to pages this process shares with its zygote).
        names = _OWN_MODULES if _OWN_MODULES is not None else _own_modules()
        _UNNAMED.extend(sys.modules.pop(name) for name in names if name in sys.modules)
    # The function's own directories may have changed since a finder read them (a hot
    # reload); the zygote's are immutable, and invalidating every finder would write to
    # pages shared with it.
    for path in spec["sys_path"]:
        invalidate = getattr(sys.path_importer_cache.get(path), "invalidate_caches", None)
        if invalidate is not None:
            invalidate()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = _LambdaLogHandler(sys.stdout)
    if _json_logs():
        handler.setFormatter(_JsonFormatter())
    else:
        formatter = logging.Formatter(LOG_FORMAT, LOG_DATEFMT)
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    handler.addFilter(_request_filter)
    root.addHandler(handler)
    # AWS's runtime leaves the root logger at WARNING unless the function has an
    # application log level (LoggingConfig, JSON format only).
    level = _LOG_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper(), logging.WARNING)
    if root.level != level:
        # setLevel clears the cache of every logger the zygote's modules made (hundreds:
        # botocore's, urllib3's...), writing to pages shared with it (0.45 MiB measured):
        # only when the level changes.
        root.setLevel(level)
    return announce_fd


# Linux reports the whole process's peak resident memory for one thread too, without
# summing every thread's CPU times first (asked once per invocation).
_RUSAGE_WHO = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)


def _peak_memory_kb() -> int:
    """Peak resident memory of this environment in KiB (the kernel resets it at fork)."""
    peak = resource.getrusage(_RUSAGE_WHO).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


_FIONREAD_OUT = bytearray(4)  # the kernel writes the count here (a C int)
_log_pipe: int | None = None  # the log pipe's own descriptor (None: under an exec wrapper)


def _unread_logs() -> int:
    """Bytes in the log pipe serverlite has not read yet (-1: cannot tell).

    Everything written to fd 1 and 2 counts, whoever wrote it (print, C code, a
    child process), so serverlite can skip reading an empty pipe after a result.
    """
    try:
        if _log_pipe is not None:  # one system call per invocation, not two
            fcntl.ioctl(_log_pipe, termios.FIONREAD, _FIONREAD_OUT)
            return int.from_bytes(_FIONREAD_OUT, sys.byteorder)
        fcntl.ioctl(1, termios.FIONREAD, _FIONREAD_OUT)
        if unread := int.from_bytes(_FIONREAD_OUT, sys.byteorder):
            return unread
        fcntl.ioctl(2, termios.FIONREAD, _FIONREAD_OUT)
    except OSError:  # a handler closed or replaced them
        return -1
    return int.from_bytes(_FIONREAD_OUT, sys.byteorder)


def _event(body: bytes) -> Any:
    return json.loads(body) if body else {}


def _result_header(ok: bool) -> bytes:
    """The reply's JSON header, written directly: it goes with every invocation."""
    return b'{"type":"result","ok":%s,"peak_kb":%d,"logs":%d}' % (
        b"true" if ok else b"false",
        _peak_memory_kb(),
        _unread_logs(),
    )


def _streams(result: Any) -> bool:
    """A streaming handler's result: an iterator (a generator) of chunks."""
    return isinstance(result, Iterator)


def _stream(result: Iterator[Any], send: Callable[[dict[str, Any], bytes], None]) -> None:
    """Response streaming (a function URL with InvokeMode RESPONSE_STREAM): each chunk
    the generator yields goes to serverlite as it is produced. A first item that is a
    dict is the HTTP prelude (statusCode, headers, cookies), as Node's
    ``awslambda.HttpResponseStream.from(stream, metadata)`` writes it."""
    first = True
    for item in result:
        if first and isinstance(item, dict):
            send({"type": "prelude"}, json.dumps(item).encode())
        elif isinstance(item, bytes | bytearray | memoryview):
            send({"type": "chunk"}, bytes(item))
        elif isinstance(item, str):
            send({"type": "chunk"}, item.encode())
        else:
            raise TypeError(f"a streamed chunk must be bytes or str, not {type(item).__name__}")
        first = False


def _invoke(
    handler: Handler,
    spec: dict[str, Any],
    header: dict[str, Any],
    body: bytes,
    send: Callable[[dict[str, Any], bytes], None],
) -> tuple[bool, bytes]:
    request_id: str = header["request_id"]
    _request_filter.request_id = request_id
    if header.get("trace_id"):
        os.environ["_X_AMZN_TRACE_ID"] = header["trace_id"]
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    context = LambdaContext(
        aws_request_id=request_id,
        deadline_ms=header["deadline_ms"],
        invoked_function_arn=header.get("invoked_function_arn") or spec["function_arn"],
        function_name=spec["env"]["AWS_LAMBDA_FUNCTION_NAME"],
        function_version=spec["env"]["AWS_LAMBDA_FUNCTION_VERSION"],
        memory_limit_in_mb=spec["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
        log_group_name=spec["env"]["AWS_LAMBDA_LOG_GROUP_NAME"],
        log_stream_name=spec["env"]["AWS_LAMBDA_LOG_STREAM_NAME"],
        identity=header.get("identity"),
        client_context=header.get("client_context"),
        tenant_id=header.get("tenant_id"),
    )
    try:
        result = handler(_event(body), context)
        if header.get("stream") and _streams(result):
            _stream(result, send)
            return True, b""
    except Exception as exc:
        error = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "requestId": request_id,
            "stackTrace": _user_trace(exc),
        }
        _log_error(error)
        return False, json.dumps(error).encode()
    try:
        return True, serialize_result(result)
    except (TypeError, ValueError) as exc:
        error = {
            "errorMessage": f"Unable to marshal response: {exc}",
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        }
        _log_error(error)
        return False, json.dumps(error).encode()


def _log_error(error: ErrorPayload) -> None:
    if _json_logs():
        # AWS's runtime logs an unhandled error as one JSON record in JSON format.
        record = {"timestamp": _utc_timestamp(time.time()), "log_level": "ERROR", **error}
        sys.stdout.write(json.dumps(record, default=str) + "\n")
        return
    lines = f"[ERROR] {error['errorType']}: {error['errorMessage']}"
    if error["stackTrace"]:
        lines += "\nTraceback (most recent call last):\n" + "".join(error["stackTrace"])
    sys.stdout.write(lines.rstrip("\n").replace("\n", EVENT_NEWLINE) + "\n")


def _exec_wrapper(wrapper: str, sock: _socket.socket, spec: dict[str, Any]) -> NoReturn:
    """AWS_LAMBDA_EXEC_WRAPPER: Lambda starts the runtime through the wrapper, passing the
    runtime's command line as its arguments (the wrapper changes the environment and
    ends with ``exec "$@"``). A wrapper that cannot be run is "Runtime exited with
    error: exit status 127" (LocalStack's AWS-validated snapshot
    test_lambda_runtime_wrapper_not_found), as a shell answers for a missing command."""
    fd = sock.fileno()
    os.set_inheritable(fd, True)
    shim = spec.get("shim") or boot.source_root()
    command = boot.command(sys.executable, shim, "runtime", str(fd), json.dumps(spec))
    try:
        os.execv(wrapper, [wrapper, *command])
    except OSError as exc:
        code = 126 if isinstance(exc, PermissionError) else 127
        sys.stderr.write(f"{wrapper}: {exc.strerror}\n")
        with contextlib.suppress(OSError):
            frames.BlockingChannel(sock).send({"type": "exit", "code": code})
        sys.stderr.flush()
        os._exit(code)


def _start_debugging(spec: dict[str, Any], sock: _socket.socket, announce_fd: int | None) -> None:
    """debugpy for the function named by --debug, else breakpoint() routed (debugging.py)."""
    if spec.get("debug"):
        name = spec["env"]["AWS_LAMBDA_FUNCTION_NAME"]
        debugging.start_debugpy(spec["debug"], name, sock.fileno(), announce_fd)
        return

    def paused() -> None:
        frames.BlockingChannel(sock).send({"type": "paused"})

    debugging.install_breakpoint_hook(spec.get("terminal"), paused)


def main() -> None:
    """The runtime's command line, as an exec wrapper runs it: shim, channel fd, spec."""
    run_environment(_socket.socket(fileno=int(sys.argv[2])), None, json.loads(sys.argv[3]))


def run_environment(sock: _socket.socket, log_fd: int | None, spec: dict[str, Any]) -> NoReturn:
    """Entry point of a freshly forked environment (``log_fd`` None: of the runtime an
    exec wrapper started). Never returns."""
    code = 0
    try:
        announce_fd = _setup_process(spec, log_fd)
        wrapper = spec.get("exec_wrapper")
        if wrapper and log_fd is not None:
            _exec_wrapper(wrapper, sock, spec)
        _start_debugging(spec, sock, announce_fd)
        started = time.perf_counter()
        handler, init_error = load_handler(spec["handler"])
        init_ms = (time.perf_counter() - started) * 1000
        if init_error is not None:
            _log_error(init_error)
        sys.stdout.flush()
        channel = frames.BlockingChannel(sock)
        channel.send(
            {"type": "ready", "pid": os.getpid(), "init_ms": init_ms},
            json.dumps(init_error).encode() if init_error else b"",
        )
        while handler is not None:
            header, body = channel.recv()
            if header["type"] != "invoke":
                break
            ok, payload = _invoke(handler, spec, header, body, channel.send)
            sys.stdout.flush()
            sys.stderr.flush()
            channel.send_raw(_result_header(ok), payload)
        # An init error leaves the environment unusable: wait for serverlite to drop it.
        if handler is None:
            channel.recv()
    except EOFError:
        pass
    except BaseException:  # SystemExit from a handler ends the process, as on AWS
        exc = sys.exc_info()[1]
        code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 1
        if not isinstance(exc, SystemExit):
            traceback.print_exc()
        # Tell serverlite why, as Lambda reports "Runtime exited with error: exit status N".
        with contextlib.suppress(OSError):
            frames.BlockingChannel(sock).send({"type": "exit", "code": code})
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    main()
