"""The ``serverlite`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from serverlite import __version__, dataclass_code, defaults
from serverlite.commands.samconfig import config_options
from serverlite.connections import ConnectionLimits
from serverlite.errors import ConfigError, InvokeError, ServerliteError
from serverlite.gateway.model import ThrottleSpec
from serverlite.gateway.throttling import ACCOUNT_LIMIT
from serverlite.template.model import Application

if TYPE_CHECKING:
    from rich.console import Console

    from serverlite.aws.dispatch.iam_check import Mode
    from serverlite.functions.debug_target import DebugTarget
    from serverlite.state_lock import Owner
    from serverlite.websocket_api.serving import Bound

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")


class _Stderr:
    """rich's Console on stderr, made when something is first printed: importing rich
    costs `up` some 20 ms before its first answer, and most commands print nothing there."""

    _console: Console | None = None

    def print(self, *objects: Any, **options: Any) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        self._console.print(*objects, **options)


err = _Stderr()


_CDK_META = "serverlite.cdk"


def find_template(given: str | None) -> Path:
    from serverlite.template.cdk import cdk_template

    ctx = click.get_current_context(silent=True)
    cdk = ctx.meta.get(_CDK_META) if ctx is not None else None
    if cdk is not None and cdk[0] is not None and not given:
        return cdk_template(Path(cdk[0]), cdk[1])
    if given:
        path = Path(given)
        if path.is_dir() and (path / "manifest.json").is_file():
            return cdk_template(path)  # a cloud assembly (cdk.out)
        if path.is_dir():
            return find_template_in(path)
        if not path.exists():
            raise ConfigError(f"template not found: {given}")
        return path
    return find_template_in(Path.cwd())


def find_template_in(directory: Path) -> Path:
    for name in TEMPLATE_NAMES:
        if (directory / name).exists():
            return directory / name
    raise ConfigError(
        f"no template found: looked for {', '.join(TEMPLATE_NAMES)} in {directory}. "
        "Pass --template PATH."
    )


def load(
    template: str | None,
    overrides: tuple[str, ...],
    region: str,
    endpoint_url: str,
    env_vars: str | None = None,
) -> Application:
    from serverlite.template import load_application, parse_parameter_overrides
    from serverlite.template.env_vars import read_env_vars

    path = find_template(template)
    return load_application(
        path,
        parameter_overrides=parse_parameter_overrides(list(overrides)) if overrides else None,
        region=region,
        endpoint_url=endpoint_url,
        env_vars=read_env_vars(Path(env_vars)) if env_vars else None,
    )


def env_vars_option(func: F) -> F:
    return click.option(
        "--env-vars",
        "-n",
        "env_vars",
        metavar="PATH",
        help="JSON file of environment variable overrides, in sam local's format: "
        '{"Parameters": {...}, "FunctionLogicalId": {...}}.',
    )(func)


def _remember_cdk(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None or ctx.meta.get(_CDK_META) is not None:
        old = ctx.meta.get(_CDK_META) or (None, None)
        cdk, stack = (value, old[1]) if param.name == "cdk" else (old[0], value)
        ctx.meta[_CDK_META] = (cdk, stack)


def template_options(func: F) -> F:
    func = click.option(
        "--cdk",
        "cdk",
        metavar="CDK_OUT",
        expose_value=False,
        callback=_remember_cdk,
        help="Run the stack `cdk synth` wrote to this cloud assembly (cdk.out), or a "
        "*.template.json; functions' code comes from its assets.",
    )(func)
    func = click.option(
        "--cdk-stack",
        "cdk_stack",
        metavar="STACK",
        expose_value=False,
        callback=_remember_cdk,
        help="The stack of a cloud assembly with several (its id or display name).",
    )(func)
    func = click.option(
        "--region", default="us-east-1", show_default=True, help="AWS region functions see."
    )(func)
    func = click.option(
        "--parameter-overrides",
        "overrides",
        multiple=True,
        help="Template parameters: 'Key=Value' or 'ParameterKey=K,ParameterValue=V' (repeatable).",
    )(func)
    func = click.option(
        "--template",
        "-t",
        "template",
        metavar="PATH",
        help="SAM template (default: ./template.yaml).",
    )(func)
    return click.option(
        "--state-dir",
        default=".serverlite",
        show_default=True,
        type=click.Path(path_type=Path),
        help="Where serverlite keeps durable state and logs.",
    )(func)


def process_started() -> float:
    """When this process started, on time.perf_counter()'s clock (Linux: from /proc, to
    the clock tick; elsewhere: now), so `up` can say how long its start took."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime, field 22 of proc(5), in clock ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        age = 0.0
    return time.perf_counter() - age


def _run(fn: Callable[[], int | None]) -> None:
    try:
        code = fn()
    except ServerliteError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        sys.exit(2)
    sys.exit(code or 0)


def _run_collecting_after(fn: Callable[[], int | None]) -> None:
    """``_run`` for up, which paused the collector for its start: on again however it
    ends (a test's up runs in its process)."""
    try:
        _run(fn)
    finally:
        gc.enable()


_user_umask: int | None = None  # the umask serverlite was started with (see main)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="serverlite")
def main() -> None:
    """Run AWS SAM serverless Python applications on one machine.

    No Docker, no AWS account; state is durable under .serverlite/. The same
    template deploys unchanged with `sam deploy`.

    \b
    Start here:
      serverlite init [DIR]                 a new SAM app with tests
      serverlite up                         serve ./template.yaml
      serverlite invoke FUNCTION -e ev.json invoke once, print result and logs
      serverlite logs FUNCTION --follow     read a function's logs
      serverlite validate                   check a template (cfn-lint + Lambda quotas)
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Dependency installs take seconds to minutes: their progress is shown.
    logging.getLogger("serverlite.deps").setLevel(logging.INFO)
    # Everything serverlite writes (state, logs, keys, inline code) is the user's alone:
    # other local users must not read items, queues, password hashes or secrets.
    global _user_umask
    started_with = os.umask(0o077)
    if _user_umask is None:  # main() runs again in one process under tests: keep the first
        _user_umask = started_with


@main.command()
@config_options("local_start_api")
@template_options
@env_vars_option
@click.option("--host", default=defaults.HOST, show_default=True, help="Address to bind.")
@click.option(
    "--port",
    "-p",
    default=defaults.API_PORT,
    show_default=True,
    help="API port (several APIs take consecutive ports from here; 0: each API gets a "
    "port from the operating system, printed once up).",
)
@click.option(
    "--aws-port",
    default=defaults.AWS_PORT,
    show_default=True,
    help="AWS endpoint port (0: one from the operating system, printed once up).",
)
@click.option(
    "--api-port",
    "api_ports",
    multiple=True,
    metavar="API=PORT",
    help="Serve this API on this port (repeatable): its qualified id "
    "(Identity/IdentityApi) or logical id; the others take ports from --port.",
)
@click.option(
    "--url-port",
    "url_ports",
    multiple=True,
    metavar="FUNCTION=PORT",
    help="Serve this function's URL (FunctionUrlConfig, AWS::Lambda::Url) on this port "
    "(repeatable); other URLs get ports from the operating system.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name the AWS endpoint answers to besides loopback and --host "
    "(repeatable); any other is refused, as a DNS-rebinding web page's would be.",
)
@click.option("--warm", is_flag=True, help="Start one environment per function up front.")
@click.option(
    "--debug",
    "debug",
    metavar="FUNCTION[=PORT]",
    help="Run FUNCTION's environments under debugpy on 127.0.0.1:PORT (default 5678), "
    "waiting for an IDE to attach; its timeouts are off (docs/debugging.md).",
)
@click.option("--no-reload", is_flag=True, help="Do not watch code for changes.")
@click.option(
    "--account-concurrency",
    default=1000,
    show_default=True,
    help="Account-wide concurrent executions.",
)
@click.option(
    "--api-account-rate",
    default=ACCOUNT_LIMIT.rate,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="API Gateway's account-wide throttle: requests per second across all APIs "
    "(an adjustable quota on AWS).",
)
@click.option(
    "--api-account-burst",
    default=ACCOUNT_LIMIT.burst,
    show_default=True,
    type=click.IntRange(min=1),
    help="API Gateway's account-wide burst: requests at once across all APIs.",
)
@click.option(
    "--memory-budget",
    type=click.IntRange(min=128),
    metavar="MB",
    help="Live execution environments' MemorySize may add up to this much; past it, "
    "invocations wait for a free environment [default: half of this machine's RAM].",
)
@click.option(
    "--iam",
    "iam_mode",
    type=click.Choice(["enforce", "warn", "off"]),
    default="warn",
    show_default=True,
    help="Check functions' calls to the AWS endpoint against their IAM policies: enforce "
    "refuses what AWS would (AccessDenied), warn logs it and lets it through (docs/iam.md).",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Make async retry delays and event ages pass this many times faster "
    "(for tests: 60 turns Lambda's 1-minute retry into 1 second); EventBridge retries "
    "and schedules too (60: rate(1 minute) fires every second).",
)
@click.option(
    "--max-connections",
    default=0,
    type=click.IntRange(min=0),
    help="Open connections across all ports; at the cap, the connection idle longest "
    "makes room for a new one [default: half of ulimit -n, at most 4096].",
)
@click.option(
    "--read-timeout",
    default=ConnectionLimits.read_timeout_s,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a request head may take to arrive, and a body may pause (then 408).",
)
@click.option(
    "--idle-timeout",
    default=ConnectionLimits.idle_timeout_s,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a keep-alive connection may idle, or leave its answers unread.",
)
@click.option(
    "--xray-port",
    default=2000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="UDP port of the X-Ray daemon functions send segments to (taken: one from the OS).",
)
@click.option("--no-tracing", is_flag=True, help="Record no X-Ray traces.")
@click.option("--no-metrics", is_flag=True, help="Publish no CloudWatch metrics.")
@click.option(
    "--no-console",
    is_flag=True,
    help="Serve no web console under /_console on the AWS endpoint.",
)
def up(
    state_dir: Path,
    template: str | None,
    overrides: tuple[str, ...],
    region: str,
    host: str,
    port: int,
    aws_port: int,
    api_ports: tuple[str, ...],
    url_ports: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    warm: bool,
    debug: str | None,
    no_reload: bool,
    account_concurrency: int,
    api_account_rate: float,
    api_account_burst: int,
    memory_budget: int | None,
    iam_mode: Mode,
    time_scale: float,
    max_connections: int,
    read_timeout: float,
    idle_timeout: float,
    env_vars: str | None,
    xray_port: int,
    no_tracing: bool,
    no_console: bool,
    no_metrics: bool,
) -> None:
    """Serve the application: the AWS endpoint (Lambda Invoke API) and functions."""
    # No collection until the ports serve (server.resume_collector): the start allocates
    # some 100,000 objects and frees few, and the collector's passes over them were
    # ~4% of its instructions before the first answer.
    gc.disable()
    from serverlite.cloud import CloudOptions, LocalCloud
    from serverlite.commands import urls as urls_file
    from serverlite.connections import bound_port
    from serverlite.functions.debug_target import parse_target
    from serverlite.gateway.frontend import ApiEndpoint, serve_locally, served_apis
    from serverlite.server import ServeOptions, serve
    from serverlite.state_lock import StateLock

    def go() -> int:
        # Every port is bound here, before anything else, and served from these very
        # sockets: a port 0 becomes the one the OS chose (no probe that another process
        # could take in between), and URLs in the app and in owner.json name it.
        aws_sockets = _listen(host, aws_port, "--aws-port")
        try:
            aws_url = f"http://{_client_host(host)}:{bound_port(aws_sockets)}"
            endpoint = f"http://{'[' + host + ']' if ':' in host else host}"
            endpoint += f":{bound_port(aws_sockets)}"
            app = load(template, overrides, region, endpoint, env_vars)  # a bad one creates nothing
            # The state's one owner from here on: a second `up` (or an `invoke`) on the same
            # state directory is refused, naming this one.
            with StateLock(state_dir) as lock:
                lock.acquire("up", aws_url)
                return serve_app(app, endpoint, aws_sockets)
        finally:
            for sock in aws_sockets:
                sock.close()

    def serve_app(app: Application, endpoint: str, aws_sockets: list[socket.socket]) -> int:
        bound = {bound_port(aws_sockets): aws_sockets}
        try:
            pinned = urls_file.pinned_ports(api_ports, served_apis(app))
            next_port = port
            for api in served_apis(app):
                if api.qualified_id in pinned:
                    sockets = _listen(host, pinned[api.qualified_id], "--api-port")
                else:
                    sockets = _listen(host, next_port, "--port")
                    next_port += 1 if port else 0
                bound[bound_port(sockets)] = sockets
            ports = [p for p in bound if bound[p] is not aws_sockets]
            app, endpoints = serve_locally(app, host, ports)
            app, url_sockets, websocket_sockets = _bind_lambda_faces(app, host, url_ports, bound)
            aws_url = f"http://{_client_host(host)}:{bound_port(aws_sockets)}"
            urls_file.write(state_dir, aws_url, endpoints)
            return serve_bound(
                app,
                endpoint,
                bound_port(aws_sockets),
                endpoints,
                bound,
                url_sockets,
                websocket_sockets,
            )
        finally:
            for sockets in bound.values():
                for sock in sockets:
                    sock.close()

    def serve_bound(
        app: Application,
        endpoint: str,
        aws_port: int,
        endpoints: list[ApiEndpoint],
        bound: dict[int, list[socket.socket]],
        url_sockets: dict[str, list[socket.socket]],
        websocket_sockets: dict[str, Bound],
    ) -> int:
        target = _debug_target(app, parse_target(debug)) if debug else None
        if not is_loopback(host):
            err.print(
                f"[yellow]warning:[/] --host {host} serves every API and the AWS endpoint "
                "(which checks no credentials) beyond this machine's loopback; see "
                "docs/security.md",
                soft_wrap=True,
            )
        cloud = LocalCloud(
            app,
            CloudOptions(
                state_dir=state_dir,
                endpoint_url=endpoint,
                account_concurrency=account_concurrency,
                api_account_limit=ThrottleSpec(api_account_rate, api_account_burst),
                time_scale=time_scale,
                memory_budget_mb=memory_budget,
                debug=target,
                tracing=not no_tracing,
                metrics=not no_metrics,
                console=not no_console,
                xray_port=xray_port,
                iam=iam_mode,
            ),
        )
        options = ServeOptions(
            host=host,
            aws_port=aws_port,
            endpoints=tuple(endpoints),
            warm=warm,
            reload=not no_reload,
            allow_hosts=allow_hosts,
            sockets=bound,
            started=process_started(),
            settled=dataclass_code.save,
            url_sockets=url_sockets,
            websocket_sockets=websocket_sockets,
            write_urls=lambda local, sockets: urls_file.write(
                state_dir, f"http://{_client_host(host)}:{aws_port}", endpoints, local, sockets
            ),
            connection_limits=ConnectionLimits(
                max_connections=max_connections,
                read_timeout_s=read_timeout,
                idle_timeout_s=idle_timeout,
            ),
        )
        # SIGTERM stops serverlite as Ctrl-C does. uvicorn handles both, shuts down
        # gracefully, then re-raises the signal: with this handler that becomes a
        # KeyboardInterrupt after serve()'s cleanup (environments, databases) has run,
        # instead of the default SIGTERM action killing the process halfway through it.
        signal.signal(signal.SIGTERM, _interrupt)
        with contextlib.suppress(KeyboardInterrupt):
            run_loop(serve(app, cloud, options))
        return 0

    _run_collecting_after(go)


@main.command()
@config_options("local_invoke")
@click.argument("function")
@click.option("--event", "-e", metavar="FILE|-", help="Event JSON file, or - for stdin.")
@template_options
@env_vars_option
@click.option(
    "--aws-endpoint",
    default=defaults.AWS_ENDPOINT_URL,
    show_default=True,
    help="AWS_ENDPOINT_URL the function's AWS clients use.",
)
@click.option(
    "--debug",
    "debug_port",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PORT]",
    help="Run the function under debugpy on 127.0.0.1:PORT (default 5678; 0: any free "
    "port), waiting for an IDE to attach; its timeout is off (docs/debugging.md).",
)
def invoke(
    function: str,
    event: str | None,
    state_dir: Path,
    template: str | None,
    overrides: tuple[str, ...],
    region: str,
    aws_endpoint: str,
    debug_port: str | None,
    env_vars: str | None,
) -> None:
    """Invoke FUNCTION once; logs go to stderr, the result to stdout.

    Exits 1 when the function returns an error (the error JSON is still printed).
    """
    from serverlite.cloud import CloudOptions, LocalCloud
    from serverlite.functions import debug_target
    from serverlite.functions.environment import startup_warnings
    from serverlite.invoker import InvokeRequest
    from serverlite.state_lock import StateInUse, StateLock, in_use_message, running_owner

    def go() -> int:
        payload = _read_event(event)
        owner = running_owner(state_dir)
        if owner is not None:
            if owner.command == "up" and owner.endpoint_url:
                if debug_port is not None:
                    raise ConfigError(
                        f"--debug: serverlite up (pid {owner.pid}) owns this state and runs "
                        "its functions: start it with --debug FUNCTION[=PORT] instead"
                    )
                return _invoke_through(owner, function, payload, region)
            raise StateInUse(in_use_message(state_dir, owner))
        app = load(template, overrides, region, aws_endpoint, env_vars)  # a bad one: nothing
        with StateLock(state_dir) as lock:
            lock.acquire("invoke")
            return invoke_here(app, payload)

    def invoke_here(app: Application, payload: bytes) -> int:
        for warning in startup_warnings(app):
            err.print(f"[yellow]warning:[/] {warning}")
        target = None
        if debug_port is not None:
            port = debug_target.parse_port(debug_port)
            target = _debug_target(app, debug_target.DebugTarget(function, port))
        options = CloudOptions(
            state_dir=state_dir,
            endpoint_url=aws_endpoint,
            debug=target,
            # breakpoint() opens pdb here when invoke runs on a terminal.
            terminal=debug_target.terminal_path(),
            xray_port=0,  # `up` may hold the usual port
        )
        cloud = LocalCloud(app, options)

        async def once() -> int:
            await cloud.start(run_async_queue=False)
            try:
                result = await cloud.invoker.invoke(
                    InvokeRequest(function=function, payload=payload)
                )
            except InvokeError as exc:
                raise ConfigError(f"{exc.code}: {exc.message}") from exc
            finally:
                await cloud.stop()
            if result.outcome is not None:
                for _, message in result.outcome.logs:
                    sys.stderr.write(message + "\n")
            sys.stderr.flush()
            sys.stdout.write(result.payload.decode("utf-8", "replace") + "\n")
            return 1 if result.function_error else 0

        return asyncio.run(once())

    _run(go)


@main.command()
@click.argument("function")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events.")
@click.option(
    "--since", "-s", default="10m", show_default=True, help="How far back: 30s, 10m, 2h, 1d."
)
@template_options
def logs(
    function: str,
    follow: bool,
    since: str,
    state_dir: Path,
    template: str | None,
    overrides: tuple[str, ...],
    region: str,
) -> None:
    """Print FUNCTION's log events (START / END / REPORT and its output)."""
    from serverlite.observe.logs import LogStore

    def go() -> int:
        group = _log_group(function, template, overrides, region)
        db = state_dir / "logs.db"
        if not db.exists():
            raise ConfigError(f"no logs yet under {state_dir}: invoke the function first")
        store = LogStore(db, read_only=True)  # a running `up` may be writing it
        since_ms = int((time.time() - parse_duration(since)) * 1000)
        stop = threading.Event()
        events = (
            store.follow(group, since_ms=since_ms, stop=stop)
            if follow
            else iter(store.read(group, since_ms=since_ms))
        )
        try:
            for event in events:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event.timestamp_ms / 1000))
                click.echo(f"{stamp}.{event.timestamp_ms % 1000:03d}Z {event.message}")
        except KeyboardInterrupt:
            stop.set()
        return 0

    _run(go)


@main.command()
@click.option(
    "--template",
    "-t",
    "templates",
    multiple=True,
    metavar="PATH",
    help="Template(s) to check (default: ./template.yaml).",
)
def validate(templates: tuple[str, ...]) -> None:
    """Check templates with cfn-lint and serverlite's Lambda quota checks."""
    from serverlite.aws.registry import service_names
    from serverlite.commands import samconfig
    from serverlite.template import parse_parameter_overrides
    from serverlite.template.validate import validate_template

    def go() -> int:
        paths = [find_template(t) for t in templates] or [find_template(None)]
        failed = False
        for path in paths:
            # Parameters samconfig.toml gives (as up would read them) count here too.
            found = samconfig.find_config(None, str(path))
            texts = samconfig.settings(found, "default", "validate")[1] if found else []
            findings = validate_template(
                path,
                parameter_overrides=parse_parameter_overrides(texts) if texts else None,
                services=service_names(),
            )
            errors = [f for f in findings if f.level == "error"]
            failed = failed or bool(errors)
            for f in findings:
                colour = "red" if f.level == "error" else "yellow"
                where = f"{f.file}:{f.line}" if f.line else f"{f.file}"
                err.print(f"[{colour}]{f.level}[/] {where} [{f.rule}] {f.message}", soft_wrap=True)
                if f.explanation:
                    err.print(f"    {f.explanation}", soft_wrap=True)
            status = "[red]invalid[/]" if errors else "[green]valid[/]"
            err.print(
                f"{path}: {status} ({len(errors)} errors, {len(findings) - len(errors)} warnings)"
            )
        return 1 if failed else 0

    _run(go)


def endpoint_options(func: F) -> F:
    """Options of the commands that talk to a running `serverlite up` (queues, send, ...)."""
    func = click.option(
        "--region", default="us-east-1", show_default=True, help="Region of the endpoint."
    )(func)
    return click.option(
        "--endpoint-url",
        default=defaults.AWS_ENDPOINT_URL,
        show_default=True,
        help="The AWS endpoint of a running `serverlite up`.",
    )(func)


@main.command()
@click.option(
    "--state-dir",
    default=".serverlite",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The state directory of the running `serverlite up`.",
)
def urls(state_dir: Path) -> None:
    """Print the running serverlite's AWS endpoint, every API's URL, function URLs and
    WebSocket APIs."""
    from serverlite.commands import urls as commands

    def go() -> int:
        found = commands.read(state_dir)
        click.echo(f"AWS endpoint: {found['aws']}")
        for api, url in found["apis"].items():
            click.echo(f"API {api}: {url}")
        for function, url in found.get("function_urls", {}).items():
            click.echo(f"URL {function}: {url}")
        for api, url in found.get("websockets", {}).items():
            click.echo(f"WebSocket {api}: {url}")
        return 0

    _run(go)


@main.group()
def iam() -> None:
    """IAM as serverlite evaluates it (docs/iam.md)."""


@iam.command("suggest")
@click.argument("function", required=False)
@template_options
def iam_suggest(
    function: str | None,
    state_dir: Path,
    template: str | None,
    overrides: tuple[str, ...],
    region: str,
) -> None:
    """Print the least-privilege Policies block of FUNCTION (or of every function) from
    the calls serverlite saw it make, ready to paste into the template."""
    from serverlite.commands import iam_suggest as commands

    def go() -> int:
        app = load(template, overrides, region, defaults.AWS_ENDPOINT_URL)
        click.echo(commands.run(app, state_dir, function))
        return 0

    _run(go)


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def aws(args: tuple[str, ...]) -> None:
    """Run the AWS CLI against the running serverlite (like awslocal): the endpoint,
    dummy credentials and region are added where not set. SERVERLITE_STATE_DIR names
    the state directory of the `up` to find (default .serverlite)."""
    from serverlite.commands import aws_cli

    state_dir = Path(os.environ.get("SERVERLITE_STATE_DIR", ".serverlite"))
    _run(lambda: aws_cli.run(args, state_dir))


@main.command()
@click.argument("trace_id", required=False)
@click.option("--since", "-s", default="10m", show_default=True, help="How far back: 10m, 2h.")
@click.option("--limit", "-n", default=20, show_default=True, help="How many traces to list.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=Path(".serverlite"),
    show_default=True,
    envvar="SERVERLITE_STATE_DIR",
)
def traces(trace_id: str | None, since: str, limit: int, state_dir: Path) -> None:
    """Recent X-Ray traces, or TRACE_ID as a tree of segments with their durations."""
    from serverlite.commands import observe

    def go() -> int:
        lines = (
            observe.tree_lines(state_dir, trace_id)
            if trace_id
            else observe.trace_lines(state_dir, parse_duration(since), limit)
        )
        for line in lines:
            click.echo(line)
        return 0

    _run(go)


@main.command()
@click.argument("function")
@click.option("--since", "-s", default="1h", show_default=True, help="How far back: 30m, 2h.")
@click.option("--period", default=60, show_default=True, help="Seconds per point.")
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    default=Path(".serverlite"),
    show_default=True,
    envvar="SERVERLITE_STATE_DIR",
)
def metrics(function: str, since: str, period: int, state_dir: Path) -> None:
    """Sparklines of FUNCTION's AWS/Lambda metrics: invocations, errors, duration."""
    from serverlite.commands import observe

    def go() -> int:
        for line in observe.metric_lines(state_dir, function, parse_duration(since), period):
            click.echo(line)
        return 0

    _run(go)


@main.command()
@template_options
@click.option("--since", "-s", default="1h", show_default=True, help="How far back: 30m, 2h.")
@click.option(
    "--per",
    type=click.Choice(["month"]),
    default=None,
    help="Also print the projection to a month at the observed rate.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the estimate as JSON.")
@click.option(
    "--free-tier/--no-free-tier", default=True, show_default=True, help="Take AWS's free tier."
)
def cost(
    state_dir: Path,
    template: str | None,
    overrides: tuple[str, ...],
    region: str,
    since: str,
    per: str | None,
    as_json: bool,
    free_tier: bool,
) -> None:
    """What what ran would cost on AWS (us-east-1 prices), from the recorded metrics."""
    import json as json_module

    from serverlite.commands import cost as cost_command

    def go() -> int:
        app = load(template, overrides, region, defaults.AWS_ENDPOINT_URL)
        result = cost_command.estimate(state_dir, app, parse_duration(since), free_tier)
        if as_json:
            click.echo(json_module.dumps(result, indent=2))
        else:
            for line in cost_command.table_lines(result, per == "month"):
                click.echo(line)
        return 0

    _run(go)


@main.command()
@endpoint_options
def queues(endpoint_url: str, region: str) -> None:
    """List SQS queues: visible, in flight and delayed messages, and DLQ depth."""
    from rich.console import Console
    from rich.table import Table

    from serverlite.commands import queues as commands

    def go() -> int:
        sqs = commands.client(endpoint_url, region)
        rows = commands.run(endpoint_url, lambda: commands.queue_rows(sqs))
        table = Table(show_edge=False, pad_edge=False)
        for column in ("queue", "visible", "in flight", "delayed", "DLQ", "DLQ depth"):
            table.add_column(  # a long name folds, never cut: queues differ at the end
                column,
                justify="left" if column in ("queue", "DLQ") else "right",
                overflow="fold",
            )
        for row in rows:
            depth = "" if row.dead_letter_depth is None else str(row.dead_letter_depth)
            table.add_row(
                row.name,
                str(row.visible),
                str(row.in_flight),
                str(row.delayed),
                row.dead_letter_queue or "-",
                depth,
            )
        Console(highlight=False).print(table if rows else "no queues")
        return 0

    _run(go)


@main.command()
@click.argument("execution", required=False)
@click.option("--machine", default=None, help="Only this state machine's executions (name or ARN).")
@endpoint_options
def executions(execution: str | None, machine: str | None, endpoint_url: str, region: str) -> None:
    """List Step Functions executions, or show one (a name or an ARN) as a timeline."""
    from rich.console import Console
    from rich.table import Table

    from serverlite.commands import executions as commands
    from serverlite.commands.client import talking_to

    def go() -> int:
        sfn = commands.client(endpoint_url, region)
        with talking_to(endpoint_url):
            if execution is not None:
                arn = commands.find(sfn, execution)
                described = sfn.describe_execution(executionArn=arn)
                click.echo(f"{arn}  {described['status']}")
                for line in commands.timeline(sfn, arn):
                    click.echo(line)
                return 0
            found = commands.rows(sfn, machine)
        table = Table(show_edge=False, pad_edge=False)
        for column in ("state machine", "execution", "status", "started", "stopped"):
            table.add_column(column, overflow="fold")
        for row in found:
            table.add_row(
                row.machine,
                row.name,
                row.status,
                commands.when(row.started),
                commands.when(row.stopped),
            )
        Console(highlight=False).print(table if found else "no executions")
        return 0

    _run(go)


@main.command()
@click.argument("queue")
@click.argument("body")
@click.option(
    "--attr",
    "attrs",
    multiple=True,
    metavar="K=V",
    help="Message attribute (repeatable; K:Number=V for a number).",
)
@click.option("--group-id", help="MessageGroupId (FIFO queues).")
@click.option("--dedup-id", help="MessageDeduplicationId (FIFO queues).")
@endpoint_options
def send(
    queue: str,
    body: str,
    attrs: tuple[str, ...],
    group_id: str | None,
    dedup_id: str | None,
    endpoint_url: str,
    region: str,
) -> None:
    """Send BODY to QUEUE (a name or URL) on a running `serverlite up`."""
    from serverlite.commands import queues as commands

    def go() -> int:
        sqs = commands.client(endpoint_url, region)
        result = commands.run(
            endpoint_url, lambda: commands.send(sqs, queue, body, attrs, group_id, dedup_id)
        )
        sequence = f" (sequence {result['SequenceNumber']})" if "SequenceNumber" in result else ""
        click.echo(f"sent {result['MessageId']}{sequence}")
        return 0

    _run(go)


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Make a small SAM Python app in DIRECTORY (default: here), with tests that use
    serverlite's pytest plugin; it deploys with `sam deploy` as it is."""
    from serverlite.commands.scaffold import scaffold

    def go() -> int:
        # The new app is the user's project, to share and commit: written under the umask
        # the user started with, not the 077 serverlite keeps for its state.
        previous = os.umask(0o022 if _user_umask is None else _user_umask)
        try:
            written = scaffold(directory)
        finally:
            os.umask(previous)
        for path in written:
            click.echo(f"created {path}")
        click.echo(
            f"\nnext:  cd {directory}\n"
            "       serverlite up        # the API on http://127.0.0.1:3000\n"
            "       python -m pytest     # its tests (pip install pytest)"
        )
        return 0

    _run(go)


@main.command()
@click.argument("dlq")
@click.option("--to", "to", metavar="QUEUE", help="Move here instead of the source queues.")
@endpoint_options
def redrive(dlq: str, to: str | None, endpoint_url: str, region: str) -> None:
    """Move the messages of dead-letter queue DLQ back to where they came from."""
    from serverlite.commands import queues as commands

    def go() -> int:
        sqs = commands.client(endpoint_url, region)
        task = commands.run(endpoint_url, lambda: commands.redrive(sqs, dlq, to))
        click.echo(
            f"{task['Status'].lower()}: moved {task['ApproximateNumberOfMessagesMoved']} of "
            f"{task['ApproximateNumberOfMessagesToMove']} messages"
        )
        if task.get("FailureReason"):
            err.print(f"[yellow]warning:[/] {task['FailureReason']}", soft_wrap=True)
        return 0 if task["Status"] == "COMPLETED" else 1

    _run(go)


@main.command(
    "generate-event",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("service", required=False)
@click.argument("event", required=False)
@click.pass_context
def generate_event(ctx: click.Context, service: str | None, event: str | None) -> None:
    """Print a sample event (as `sam local generate-event` does): SERVICE EVENT, then that
    event's options (--bucket, --key, --body, ...). With no EVENT, lists what there is."""
    import json as _json

    from serverlite.commands.sample_events import SAMPLES, generate

    if service is None or service not in SAMPLES or event is None or event not in SAMPLES[service]:
        choices = SAMPLES if service not in SAMPLES else {service: SAMPLES[service]}
        for name, events in choices.items():
            for kind, sample in events.items():
                flags = " ".join(f"[--{o.name} {o.default!r}]" for o in sample.options)
                click.echo(f"{name} {kind}  {sample.help}  {flags}")
        if service is not None:
            raise SystemExit(2)
        return
    known = {o.name for o in SAMPLES[service][event].options}
    given: dict[str, str] = {}
    extra = list(ctx.args)
    while extra:
        flag = extra.pop(0)
        name = flag.removeprefix("--")
        if not flag.startswith("--") or name not in known or not extra:
            err.print(
                f"[red]error:[/] {service} {event} takes "
                + ", ".join(f"--{n} VALUE" for n in sorted(known))
                + f"; got {flag!r}"
            )
            raise SystemExit(2)
        given[name] = extra.pop(0)
    click.echo(_json.dumps(generate(service, event, given), indent=2))


@main.command("put-event")
@click.option(
    "--source",
    required=True,
    help="The event's source; aws.* (AWS's own) is injected as the service would send it.",
)
@click.option("--detail-type", required=True, help="The event's detail-type.")
@click.option("--detail", default="{}", show_default=True, help="The detail: a JSON object.")
@click.option("--bus", default="default", show_default=True, help="Event bus name or ARN.")
@click.option("--resource", "resources", multiple=True, help="A resource ARN (repeatable).")
@endpoint_options
def put_event(
    source: str,
    detail_type: str,
    detail: str,
    bus: str,
    resources: tuple[str, ...],
    endpoint_url: str,
    region: str,
) -> None:
    """Put an event on an EventBridge bus of a running `serverlite up`; prints its id."""
    from serverlite.commands import put_event as commands

    def go() -> int:
        events = commands.client(endpoint_url, region)
        if source.startswith("aws."):
            err.print(f"[yellow]warning:[/] {commands.AWS_SOURCE_WARNING}", soft_wrap=True)
        click.echo(
            commands.put_event(
                events,
                endpoint_url,
                source=source,
                detail_type=detail_type,
                detail=detail,
                bus=bus,
                resources=resources,
            )
        )
        return 0

    _run(go)


def _invoke_through(owner: Owner, function: str, payload: bytes, region: str) -> int:
    """Invoke on the running `up` that owns the state (its Lambda Invoke API): its
    environments, its resources, nothing provisioned a second time."""
    import base64

    from serverlite.commands import client as cli_client

    url = owner.endpoint_url or ""
    err.print(f"serverlite up (pid {owner.pid}) owns this state: invoking through {url}")
    # A function may run up to Lambda's 900 s timeout.
    lam = cli_client.client("lambda", url, region, read_timeout=905)
    with cli_client.talking_to(url):
        result = lam.invoke(FunctionName=function, Payload=payload, LogType="Tail")
    if result.get("LogResult"):
        sys.stderr.write(base64.b64decode(result["LogResult"]).decode("utf-8", "replace"))
        sys.stderr.flush()
    sys.stdout.write(result["Payload"].read().decode("utf-8", "replace") + "\n")
    return 1 if result.get("FunctionError") else 0


def _debug_target(app: Application, target: DebugTarget) -> DebugTarget:
    """The --debug target named by its physical name (as environments are spawned)."""
    fn = app.find_function(target.function)
    if fn is None:
        names = ", ".join(f.name for f in app.functions)
        raise ConfigError(f"--debug: no function {target.function!r} (functions: {names})")
    return target._replace(function=fn.name)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps every port on this machine's loopback."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve beyond loopback


def _client_host(host: str) -> str:
    """Where a client on this machine reaches a server bound to ``host``."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host in ("::", "[::]"):
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (it is, with uvicorn[standard]): ~2x faster I/O."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def parse_duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if not match:
        raise ConfigError(f"cannot read duration {text!r}: use e.g. 30s, 10m, 2h, 1d")
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def _log_group(function: str, template: str | None, overrides: tuple[str, ...], region: str) -> str:
    try:
        app = load(template, overrides, region, defaults.AWS_ENDPOINT_URL)
    except ConfigError:
        return f"/aws/lambda/{function}"
    fn = app.find_function(function)
    if fn is None:
        names = ", ".join(f.name for f in app.functions)
        raise ConfigError(f"no function {function!r} in the template (functions: {names})")
    return fn.log_group_name


def _read_event(event: str | None) -> bytes:
    if event is None:
        return b"{}"
    data = sys.stdin.buffer.read() if event == "-" else _read_file(event)
    try:
        json.loads(data)
    except ValueError as exc:
        raise ConfigError(f"event {event} is not valid JSON: {exc}") from exc
    return data


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read event file {path}: {exc.strerror}") from exc


def _bind_lambda_faces(
    app: Application, host: str, url_ports: tuple[str, ...], bound: dict[int, list[socket.socket]]
) -> tuple[Application, dict[str, list[socket.socket]], dict[str, Bound]]:
    """Function URLs' and WebSocket APIs' sockets, and the app with their URLs local."""
    app, url_sockets = _bind_function_urls(app, host, url_ports, bound)
    app, websocket_sockets = _bind_websocket_apis(app, host, bound)
    return app, url_sockets, websocket_sockets


def _bind_websocket_apis(
    app: Application, host: str, bound: dict[int, list[socket.socket]]
) -> tuple[Application, dict[str, Bound]]:
    """Two listening sockets (plain, TLS) per WebSocket API, from the OS (also added to
    ``bound``), and the app with its wss:// and https:// API URLs pointing there."""
    from serverlite.websocket_api.frontend import localize
    from serverlite.websocket_api.model import discover
    from serverlite.websocket_api.serving import Bound, client_host

    sockets = {api.api_id: Bound.new(host) for api in discover(app)}
    local = {}
    for api_id, pair in sockets.items():
        bound[pair.plain_port] = pair.plain
        bound[pair.tls_port] = pair.tls
        where = client_host(host)
        local[api_id] = (f"ws://{where}:{pair.plain_port}", f"https://{where}:{pair.tls_port}")
    return localize(app, local), sockets


def _bind_function_urls(
    app: Application, host: str, specs: tuple[str, ...], bound: dict[int, list[socket.socket]]
) -> tuple[Application, dict[str, list[socket.socket]]]:
    """A listening socket per template function URL (``--url-port FUNCTION=PORT``, or
    one from the OS) keyed by the URL's id (also added to ``bound``, by port), and the
    app with its URLs pointing there."""
    from serverlite.connections import bound_port
    from serverlite.function_urls.frontend import localize
    from serverlite.function_urls.model import template_urls

    urls = template_urls(app)
    pinned: dict[str, int] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        if not sep or not text.isdigit() or not 0 < int(text) < 65536:
            raise ConfigError(f"--url-port {spec!r}: use FUNCTION=PORT, e.g. Stream=3500")
        if not any(name in (url.function, url.logical_id) for url in urls):
            known = ", ".join(url.function for url in urls) or "none"
            raise ConfigError(f"--url-port {spec!r} names no function with a URL ({known})")
        pinned[name] = int(text)
    sockets: dict[str, list[socket.socket]] = {}
    for url in urls:
        port = pinned.get(url.function, pinned.get(url.logical_id or "", 0))
        sockets[url.url_id] = _listen(host, port, "--url-port")
        bound[bound_port(sockets[url.url_id])] = sockets[url.url_id]
    local = {
        url_id: f"http://{_client_host(host)}:{bound_port(bound)}/"
        for url_id, bound in sockets.items()
    }
    return localize(app, local), sockets


def _listen(host: str, port: int, option: str) -> list[socket.socket]:
    """Listening sockets on ``host:port`` (port 0: one the OS picks), or a ConfigError
    that says which option to change."""
    from serverlite.connections import bind

    try:
        return bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"{host}:{port} is already in use (is another serverlite "
                f"running?). Choose another port with {option}, or 0 for any free one."
            ) from exc
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


if __name__ == "__main__":
    main()
