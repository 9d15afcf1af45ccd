"""serverlite's pytest plugin (entry point ``pytest11``): a project's template, running.

Fixtures (each starts nothing until a test asks for it):

- ``serverlite_app`` (session): the project's application, started once per session
  in a temporary state directory, its AWS endpoint on a loopback port from the OS
  (an ``AppHarness``: ``.endpoint_url``, ``.region``, ``.client(api)``, ``.aws(name)``).
- ``serverlite``: the same application for one test, reset first to what the template
  provisioned (data gone, configuration services as declared; no restart);
  ``serverlite.advance(minutes=5)``
  moves its clock, ``serverlite.fail("Fn", times=2)`` / ``.time_out`` / ``.throttle``
  inject function faults and ``serverlite.faults.service("dynamodb", "PutItem",
  error="ProvisionedThroughputExceededException", times=3)`` (or ``latency=2.0``)
  service faults, answered in the service's wire shape; all end with the test.
- ``serverlite_client`` / ``serverlite_async_client``: httpx clients of the only API
  (``serverlite_app.client("ApiId")`` for one of several), entering the gateway
  without a socket.
- ``serverlite_aws``: ``serverlite_aws("dynamodb")`` is a boto3 client bound to the
  endpoint (dummy credentials, the template's region).

Functions' calls to the endpoint are checked against their IAM policies (docs/iam.md):
``--serverlite-iam enforce|warn|off`` or the ini option ``serverlite_iam`` (default
warn); the tests' own clients are administrators.

Every API, function URL and WebSocket API is served on a loopback port from the OS too
(``serverlite_app.api_url()``, ``.function_url("Fn")``, ``.websocket_url()``), and the
app's URLs name those ports, so a function calling an API by its URL reaches it. A
``samconfig.toml`` (or .yaml) beside the template gives parameter overrides and an env
vars file as ``serverlite up`` reads them; ``--serverlite-config-env ENV`` or the ini's
``serverlite_config_env`` picks its environment.

``@pytest.mark.serverlite("path/template.yaml", parameter_overrides={...}, iam="enforce")``
on a test, class or module makes ``serverlite`` (and the clients) run that template
(relative to the test's file) instead: one such app runs at a time.

The template is found as SAM finds it: template.yaml (or .yml, .json) in the rootdir;
the ini option ``serverlite_template`` (relative to the rootdir) or
``--serverlite-template PATH`` (relative to where pytest runs) name another.
This module imports nothing of serverlite's runtime until a fixture is used: it is
loaded into every pytest run of an environment serverlite is installed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from serverlite.harness import AppHarness

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")  # sam's search order
IAM_MODES = ("enforce", "warn", "off")
MARKER = "serverlite"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("serverlite")
    group.addoption(
        "--serverlite-template",
        dest="serverlite_template",
        default=None,
        metavar="PATH",
        help="SAM template the serverlite fixtures run (default: template.yaml in the rootdir).",
    )
    parser.addini(
        "serverlite_template",
        help="SAM template the serverlite fixtures run, relative to the rootdir.",
        default="",
    )
    group.addoption(
        "--serverlite-iam",
        dest="serverlite_iam",
        default=None,
        choices=IAM_MODES,
        help="Check functions' AWS calls against their IAM policies: enforce refuses what "
        "AWS would, warn logs it (the default), off.",
    )
    parser.addini("serverlite_iam", help="enforce, warn (the default) or off.", default="")
    group.addoption(
        "--serverlite-config-env",
        dest="serverlite_config_env",
        default=None,
        metavar="ENV",
        help="samconfig environment whose parameter overrides and env vars the app gets, "
        "as `serverlite up --config-env` reads them (default: default).",
    )
    parser.addini(
        "serverlite_config_env", help="samconfig environment (default: default).", default=""
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(template, parameter_overrides=None, iam=None): the serverlite fixture "
        "(and its clients) run this template (relative to the test's file) instead of the "
        "project's; one such app runs at a time, started when a test first needs it",
    )


def iam_mode(config: pytest.Config) -> str:
    """``--serverlite-iam``, else the ini's ``serverlite_iam``, else warn."""
    given = config.getoption("serverlite_iam") or str(config.getini("serverlite_iam")) or "warn"
    if given not in IAM_MODES:
        raise pytest.UsageError(f"serverlite_iam must be one of {', '.join(IAM_MODES)}")
    return str(given)


def template_path(config: pytest.Config) -> Path:
    """The template the fixtures run: the command line's, the ini file's, or SAM's
    default name in the rootdir."""
    given: str | None = config.getoption("serverlite_template")
    if given:
        return _existing(config.invocation_params.dir / given)
    ini = str(config.getini("serverlite_template"))
    if ini:
        return _existing(config.rootpath / ini)
    for name in TEMPLATE_NAMES:
        if (config.rootpath / name).is_file():
            return config.rootpath / name
    raise pytest.UsageError(
        f"serverlite: no template found: looked for {', '.join(TEMPLATE_NAMES)} in "
        f"{config.rootpath}; set serverlite_template in the ini file or pass "
        "--serverlite-template PATH"
    )


def _existing(path: Path) -> Path:
    if path.is_dir():
        for name in TEMPLATE_NAMES:
            if (path / name).is_file():
                return path / name
    if not path.is_file():
        raise pytest.UsageError(f"serverlite: template not found: {path}")
    return path


def samconfig_settings(
    config: pytest.Config, template: Path
) -> tuple[dict[str, str] | None, Path | None]:
    """(parameter overrides, env vars file) from the samconfig beside the template, read
    as ``serverlite up`` reads it: the environment's global, local_start_api and
    serverlite sections (deploy's parameter_overrides lowest)."""
    from serverlite.commands import samconfig
    from serverlite.errors import ConfigError
    from serverlite.template import parse_parameter_overrides

    env = (
        config.getoption("serverlite_config_env")
        or str(config.getini("serverlite_config_env"))
        or samconfig.DEFAULT_ENV
    )
    found = samconfig.find_config(None, str(template))
    if found is None:
        if env != samconfig.DEFAULT_ENV:
            raise pytest.UsageError(f"serverlite: no samconfig beside {template} for {env!r}")
        return None, None
    try:
        settings, texts = samconfig.settings(found, env, "local_start_api")
    except ConfigError as exc:
        raise pytest.UsageError(f"serverlite: {exc}") from exc
    env_vars = settings.get("env_vars")
    return (
        parse_parameter_overrides(texts) if texts else None,
        Path(env_vars) if isinstance(env_vars, str) else None,
    )


@pytest.fixture(scope="session")
def serverlite_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppHarness]:
    """The project's application, started once for the session."""
    from serverlite.harness import AppHarness
    from serverlite.template.env_vars import read_env_vars

    template = template_path(request.config)
    overrides, env_vars = samconfig_settings(request.config, template)
    harness = AppHarness(
        template,
        state_dir=tmp_path_factory.mktemp("serverlite"),
        parameter_overrides=overrides,
        iam=iam_mode(request.config),  # type: ignore[arg-type]
        env_vars=read_env_vars(env_vars) if env_vars else None,
    )
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()


class MarkedApps:
    """The apps of templates ``@pytest.mark.serverlite(...)`` names: one runs at a time
    (the tests of a module run together, so each module's starts once)."""

    def __init__(self, config: pytest.Config, tmp: pytest.TempPathFactory) -> None:
        self._config = config
        self._tmp = tmp
        self._key: tuple[Any, ...] | None = None
        self._app: AppHarness | None = None

    def app(self, request: pytest.FixtureRequest, marker: pytest.Mark) -> AppHarness:
        from serverlite.harness import AppHarness
        from serverlite.template.env_vars import read_env_vars

        given = marker.kwargs.get("template", marker.args[0] if marker.args else None)
        if given is None:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} needs a template")
        template = _existing(request.path.parent / given)
        overrides, env_vars = samconfig_settings(self._config, template)
        overrides = {**(overrides or {}), **marker.kwargs.get("parameter_overrides", {})}
        iam = marker.kwargs.get("iam") or iam_mode(self._config)
        if iam not in IAM_MODES:
            raise pytest.UsageError(f"serverlite: iam must be one of {', '.join(IAM_MODES)}")
        key = (template, tuple(sorted(overrides.items())), iam)
        if key != self._key or self._app is None:
            self.close()
            app = AppHarness(
                template,
                state_dir=self._tmp.mktemp("serverlite"),
                parameter_overrides=overrides or None,
                iam=iam,  # type: ignore[arg-type]
                env_vars=read_env_vars(env_vars) if env_vars else None,
            )
            app.start()
            self._app, self._key = app, key
        return self._app

    def close(self) -> None:
        app, self._app, self._key = self._app, None, None
        if app is not None:
            app.stop()


@pytest.fixture(scope="session")
def serverlite_marked_apps(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MarkedApps]:
    apps = MarkedApps(request.config, tmp_path_factory)
    try:
        yield apps
    finally:
        apps.close()


@pytest.fixture
def serverlite(
    request: pytest.FixtureRequest, serverlite_marked_apps: MarkedApps
) -> Iterator[AppHarness]:
    """The application for one test: it starts as the template provisioned it (no items,
    messages, objects, records, executions, logs, traces or metrics; topics, rules,
    parameters, secrets and alarms as declared), and the faults it injects end with it.
    ``@pytest.mark.serverlite("path/template.yaml")`` on the test (its class or module)
    runs another template."""
    marker = request.node.get_closest_marker(MARKER)
    app: AppHarness = (
        request.getfixturevalue("serverlite_app")
        if marker is None
        else serverlite_marked_apps.app(request, marker)
    )
    app.reset()
    yield app
    app.clear_faults()


@pytest.fixture
def serverlite_client(serverlite: AppHarness) -> Iterator[httpx.Client]:
    """A sync httpx client of the application's only API."""
    with serverlite.client() as client:
        yield client


@pytest.fixture
def serverlite_async_client(serverlite: AppHarness) -> httpx.AsyncClient:
    """An async httpx client of the application's only API (any event loop)."""
    return serverlite.async_client()


@pytest.fixture
def serverlite_aws(serverlite: AppHarness) -> Callable[..., Any]:
    """``serverlite_aws("sqs")``: a boto3 client bound to the application's endpoint."""
    return serverlite.aws
