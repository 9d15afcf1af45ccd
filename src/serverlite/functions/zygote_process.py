"""The zygote process: a pre-warmed fork server that execution environments are born from.

It runs the function's world, not serverlite's: the interpreter the runtime names,
started isolated (``-s -S -P``, no PYTHONPATH: no site-packages), with sys.path set to
serverlite's runtime shim, the world's installed dependency sets and the runtime base
(deps/worlds.py). It starts light: this module imports only what serving the control
socket needs (serverlite's handle on it, with its threads and subprocesses, is
zygote.py), so a zygote whose functions are never invoked holds about 3.9 MiB.

Its first fork is of the light process (that environment imports what it needs
itself; see zygote.py). Asked to, after it, it preloads the modules functions commonly
use (boto3, botocore, Powertools, pydantic, serverlite's runtime) and warms botocore's
loader for the services local functions talk to. Each later environment is then a
``fork()`` of it, so a cold start costs a fork and the handler's own import, not
hundreds of milliseconds of imports. Only the *loader* is warmed (service models,
endpoint rules), and the clients it makes to warm the code are dropped: no session or
client is kept, since those would freeze region, credentials or endpoint before the
function's environment is set. New loaders share the warmed cache.

The collector is off from the preload on; after it, the zygote gives the allocator's
free pages back (glibc's ``malloc_trim``: the JSON parsing leaves some resident) and
freezes its heap (``gc.freeze``: the collector of a fork never writes to the inherited
objects' headers), so what the forks share stays shared.

Protocol: serverlite holds one end of a SOCK_SEQPACKET socketpair. A message is either
``{"preload": true}`` with no file descriptor (answered with the preloaded modules that
failed to import) or a spawn request (JSON spec) carrying two: the environment's end
of its invocation channel and the write end of its log pipe. The zygote forks and
answers with the child's pid; the child reads the spec. A light zygote imports no
json (its ``re`` and scanner were 0.6 MiB of an idle zygote's 5): it writes its few
answers itself, and its first fork's runtime imports json anyway.
"""

from __future__ import annotations

# The C halves of signal and socket: their Python halves import enum and selectors, a
# fifth of an idle zygote (a first fork's runtime imports them itself).
import _signal  # type: ignore[import-not-found]  # no stub; the names are signal's
import _socket
import gc
import importlib
import os
import sys

PRELOAD_MODULES = (
    "boto3",
    "botocore.session",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.typing",
    "pydantic",
    "decimal",
    "uuid",
    "urllib.request",
    "http.client",
)
# Services the local AWS endpoint speaks, and their close neighbours.
WARM_SERVICES = (
    "lambda",
    "dynamodb",
    "sqs",
    "sns",
    "events",
    "scheduler",
    "ssm",
    "secretsmanager",
    "logs",
    "cloudwatch",
    "sts",
    "s3",
    "kinesis",
    "xray",
)
# Services whose clients the zygote makes once, and drops, as it preloads.
EXERCISED_SERVICES = ("dynamodb", "s3")
RUNTIME_MODULE = "serverlite.functions.runtime"
MAX_MESSAGE = 1 << 20


def _warm_botocore() -> None:
    try:
        import botocore.loaders
    except ImportError:
        return
    loader = botocore.loaders.create_loader()
    for service in WARM_SERVICES:
        for kind in ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2"):
            try:
                loader.load_service_model(service, kind)
            except Exception:  # a kind a service lacks (no waiters, ...)
                continue
    for name in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        try:
            loader.load_data(name)
        except Exception:
            continue
    shared_cache = loader._cache
    original_init = botocore.loaders.Loader.__init__

    def init_sharing_cache(self: botocore.loaders.Loader, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        # Loaders built with the default search paths read the same files: share them.
        if self.search_paths == loader.search_paths:
            self._cache = shared_cache

    botocore.loaders.Loader.__init__ = init_sharing_cache
    _exercise_clients()


def _exercise_clients() -> None:
    """Make and drop a client of each of ``EXERCISED_SERVICES`` on a session of its own.

    Creating a function's first client then runs code (and fills process-wide caches:
    operation names, compiled expressions) that already ran here, before the fork: the
    environment neither redoes that work nor writes to as many inherited pages
    (Python 3.11 rewrites the bytecode of a function as it warms up). Measured: 3.4 MiB
    less per warm environment that makes a client. Nothing of the session is kept:
    region, credentials and endpoint are read again, in the environment, from the
    function's variables.
    """
    try:
        import botocore.session

        session = botocore.session.Session()
        for service in EXERCISED_SERVICES:
            session.create_client(
                service,
                region_name="us-east-1",
                endpoint_url="http://127.0.0.1:9",
                aws_access_key_id="zygote",
                aws_secret_access_key="zygote",
            )
    except Exception:  # a world's own botocore, older or newer: a warm-up, not a need
        return


def preload(modules: tuple[str, ...] = PRELOAD_MODULES) -> list[str]:
    """Import those of ``modules`` this world has; return the names that it has but
    that failed to import (a world without Powertools simply does not preload it)."""
    import importlib.util

    missing = []
    for name in modules:
        try:
            if importlib.util.find_spec(name.split(".")[0]) is None:
                continue
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    _warm_botocore()
    return missing


def compact_and_freeze() -> None:
    """Make the heap as the forks will share it: the pages the allocator holds free
    given back (glibc only: parsing botocore's JSON leaves about 2 MiB of them
    resident), then every object moved out of the collector's reach, so a fork's
    collections never write to (and so copy) inherited pages.

    The collector itself is off from the preload on, as CPython's gc documentation
    advises for a process that forks without exec: a collection frees objects in the
    middle of pages that the forks then fill with their own, copying them (measured:
    0.4 MiB less per environment that makes a boto3 client, for 0.5 MiB more zygote,
    shared). Each fork turns it back on."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    gc.freeze()


def _site_builtins() -> None:
    """exit(), quit(), help(): what ``site`` gives every program (without its paths)."""
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()


_FD_SIZE = 4  # a descriptor in SCM_RIGHTS data: a C int


def _recv_fds(control: _socket.socket, maxfds: int) -> tuple[bytes, list[int]]:
    """A message and the descriptors it carries (socket.recv_fds, without socket.py)."""
    data, ancillary, _flags, _addr = control.recvmsg(
        MAX_MESSAGE, _socket.CMSG_SPACE(maxfds * _FD_SIZE)
    )
    fds = []
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            whole = len(payload) - len(payload) % _FD_SIZE
            fds += [
                int.from_bytes(payload[i : i + _FD_SIZE], sys.byteorder, signed=True)
                for i in range(0, whole, _FD_SIZE)
            ]
    return data, fds


def _serve(control: _socket.socket) -> None:
    while True:
        try:
            data, fds = _recv_fds(control, 2)
        except (ConnectionError, OSError):
            return
        if not data:
            return  # serverlite went away
        if len(fds) == 1:  # a spawn's descriptors cut short: no environment to start
            os.close(fds[0])
            _reply(control, {"error": "a spawn request carries two file descriptors"})
            continue
        if not fds:  # the one message without descriptors: {"preload": true}
            gc.disable()  # see compact_and_freeze
            # The runtime too: the forks have it without another import.
            missing = preload((*PRELOAD_MODULES, RUNTIME_MODULE))
            from contextlib import suppress  # the SDK's import brought it

            with suppress(ImportError):
                importlib.import_module(RUNTIME_MODULE).before_forks()
            compact_and_freeze()
            _reply(control, {"preloaded": True, "missing": missing})
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            _reply(control, {"error": str(exc)})
            continue
        if pid == 0:
            gc.enable()  # a function's process collects garbage as any other
            control.close()
            run = importlib.import_module(RUNTIME_MODULE).run_environment
            import json  # as the runtime's imports left them: no second cost

            run(_socket.socket(fileno=fds[0]), fds[1], json.loads(data))
        for fd in fds:
            os.close(fd)
        control.send(b'{"pid": %d}' % pid)


def _reply(control: _socket.socket, message: dict[str, object]) -> None:
    import json

    control.send(json.dumps(message).encode())


def batch_scheduling() -> bool:
    """Run this process (and the environments it forks) under Linux's SCHED_BATCH.

    Batch tasks keep their fair share of CPU but never preempt a running task when
    they wake. Without it, every invocation sent from serverlite's event loop woke an
    environment that preempted the loop on its own CPU, mid-way through a burst of
    requests: measured on 2 cores, the gateway served about 20% fewer requests per
    second. Unprivileged processes may choose it; elsewhere this does nothing.
    """
    if not hasattr(os, "sched_setscheduler") or not hasattr(os, "SCHED_BATCH"):
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError:
        return False
    return True


def main() -> None:
    """argv: the shim directory, the control socket's fd, the world's paths."""
    control = _socket.socket(fileno=int(sys.argv[2]))
    world = sys.argv[3:]
    sys.path[1:1] = [p for p in world if p not in sys.path]  # after the shim, before stdlib
    _site_builtins()
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # serverlite decides when we stop
    batch_scheduling()
    _signal.signal(_signal.SIGCHLD, _signal.SIG_IGN)  # environments are reaped automatically
    control.send(b'{"ready": true}')
    _serve(control)


if __name__ == "__main__":
    main()
