"""What an execution environment is started with: variables, paths, working directory.

Mirrors the Lambda Python runtime: LAMBDA_TASK_ROOT (the code) first on sys.path,
then the layers as /opt/python would be (a later layer shadows an earlier one, as
extracting it over /opt would), then the runtime's own packages.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverlite.defaults import AWS_ENDPOINT_URL
from serverlite.deps import interpreters
from serverlite.deps.worlds import World
from serverlite.functions.debug_target import DebugTarget
from serverlite.iam import credentials
from serverlite.template.model import Application, FunctionSpec

HOST_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# Host variables an environment keeps, so subprocesses and locales behave.
_INHERITED = ("PATH", "LD_LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class Settings:
    """Where environments point their AWS clients, and region."""

    region: str = "us-east-1"
    endpoint_url: str = AWS_ENDPOINT_URL
    debug: DebugTarget | None = None  # the function whose environments run debugpy
    terminal: str | None = None  # where breakpoint() opens pdb (serverlite invoke's tty)
    # AWS_CA_BUNDLE: serverlite's own certificate, when it serves HTTPS to functions (the
    # WebSocket APIs' Management API at https://{domainName}/{stage}).
    ca_bundle: str | None = None
    xray_daemon: str | None = None  # host:port of the X-Ray daemon (tracing on)


def new_log_stream_name(now: float | None = None, version: str = "$LATEST") -> str:
    day = time.strftime("%Y/%m/%d", time.gmtime(now if now is not None else time.time()))
    return f"{day}/[{version}]{secrets.token_hex(16)}"


def runtime_warning(functions: Iterable[FunctionSpec]) -> str | None:
    """One warning for every function whose Runtime names a Python this machine lacks."""
    others: dict[str, list[str]] = {}
    for fn in functions:
        if fn.runtime != HOST_RUNTIME and interpreters.find(fn.runtime) is None:
            others.setdefault(fn.runtime, []).append(fn.name)
    if not others:
        return None
    named = "; ".join(
        f"{runtime}: {', '.join(sorted(names))}" for runtime, names in sorted(others.items())
    )
    return (
        f"functions declare another Python than this host's {HOST_RUNTIME} ({named}); "
        f"serverlite runs them on {HOST_RUNTIME}. Install that Python (on PATH, with pyenv "
        "or `uv python install`) for an exact match: serverlite picks it up."
    )


def startup_warnings(app: Application) -> list[str]:
    """The template's warnings and the runtime-version warning, each said once."""
    warning = runtime_warning(app.functions)
    return [*app.warnings, *([warning] if warning else [])]


def python_path(fn: FunctionSpec, code_dir: Path) -> list[str]:
    paths = [str(code_dir)]
    for layer in reversed(fn.layers):
        paths.extend(str(p) for p in layer.python_paths)
    return paths


def build_env(
    fn: FunctionSpec,
    code_dir: Path,
    log_stream: str,
    settings: Settings,
    runtime_dir: Path,
    init_type: str = "on-demand",
    sys_path: list[str] | None = None,
) -> dict[str, str]:
    env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
    env.update(
        {
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": settings.region,
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_ENDPOINT_URL": settings.endpoint_url,
            # botocore puts "sync-" before the host of StartSyncExecution and TestState
            # (their endpoint host prefix); sync-127.0.0.1 resolves nowhere.
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            # The function's own keys, as Lambda gives its execution role's: the AWS
            # endpoint tells the caller by them (serverlite.iam).
            **credentials.for_function(fn.arn).environment(),
        }
    )
    if settings.ca_bundle is not None:
        env["AWS_CA_BUNDLE"] = settings.ca_bundle
    env.update(fn.environment)
    # Lambda's reserved variables: a function cannot override these.
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "_HANDLER": fn.handler,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "LAMBDA_RUNTIME_DIR": str(runtime_dir),
            "PYTHONPATH": os.pathsep.join(sys_path or python_path(fn, code_dir)),
        }
    )
    if fn.log_format == "JSON":
        # What Lambda sets for a JSON-format function: its runtime writes JSON records
        # and drops those below the application log level.
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env["AWS_LAMBDA_LOG_LEVEL"] = fn.application_log_level or "INFO"
    if settings.xray_daemon:
        # What Lambda sets for the X-Ray SDK: where the daemon listens, and to log (not
        # raise) when code runs outside a traced invocation.
        host, _, port = settings.xray_daemon.rpartition(":")
        env.update(
            {
                "AWS_XRAY_DAEMON_ADDRESS": settings.xray_daemon,
                "_AWS_XRAY_DAEMON_ADDRESS": host,
                "_AWS_XRAY_DAEMON_PORT": port,
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            }
        )
    return env


def spawn_spec(
    fn: FunctionSpec,
    code_dir: Path,
    settings: Settings,
    init_type: str = "on-demand",
    world: World | None = None,
    shim: Path | None = None,
    debugpy: Callable[[], Path | None] | None = None,
) -> dict[str, Any]:
    """The JSON spec the zygote hands a new environment (``init_type``: Lambda's
    AWS_LAMBDA_INITIALIZATION_TYPE, "provisioned-concurrency" for those kept ready;
    ``world`` None: the code and layer directories only, on the zygote's own path)."""
    log_stream = new_log_stream_name(version=fn.version)
    runtime_dir = Path(__file__).resolve().parent
    sys_path = python_path(fn, code_dir)
    if world is not None:
        sys_path = [str(code_dir), *world.sys_path]
    env = build_env(fn, code_dir, log_stream, settings, runtime_dir, init_type, sys_path)
    spec: dict[str, Any] = {
        "function_arn": fn.arn,
        "handler": fn.handler,
        "code_dir": str(code_dir),
        "sys_path": sys_path,
        "env": env,
    }
    if shim is not None:
        spec["shim"] = str(shim)
    if settings.debug is not None and settings.debug.function == fn.name:
        spec["debug"] = settings.debug.spec()
        if debugpy is not None and (found := debugpy()) is not None:
            spec["debugpy"] = str(found)
    elif settings.terminal is not None:
        spec["terminal"] = settings.terminal
    if env.get("AWS_LAMBDA_EXEC_WRAPPER"):
        spec["exec_wrapper"] = exec_wrapper_path(fn, env["AWS_LAMBDA_EXEC_WRAPPER"])
    return spec


def exec_wrapper_path(fn: FunctionSpec, wrapper: str) -> str:
    """Where the wrapper is here: a path under /opt (where Lambda extracts layers, and
    so where wrappers shipped in layers live) is looked up in the function's layers,
    the last layer first, as extracting them in order over /opt would leave it."""
    if wrapper.startswith("/opt/"):
        for layer in reversed(fn.layers):
            candidate = Path(layer.content_dir) / wrapper[len("/opt/") :]
            if candidate.exists():
                return str(candidate)
    return wrapper
