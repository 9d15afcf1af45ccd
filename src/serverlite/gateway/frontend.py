"""Where each API is served locally, and how the template's API URLs point there.

One API is served at http://127.0.0.1:3000/ (as ``sam local start-api`` does);
several APIs get consecutive ports in a stable order (by nesting, then logical id).
Every ``https://{apiId}.execute-api.{region}.amazonaws.com`` the template produced
(``!Sub`` in environment variables, outputs, resource properties) is rewritten to
that API's local base URL, so services find each other without hard-coded URLs. A
URL's stage path (``/Prod``) still works: the gateway accepts it as a prefix. The APIs
themselves are then read again from the rewritten application, so an API whose JWT
authorizer trusts another API as its issuer (``issuer: !GetAtt IdentityApi.ApiEndpoint``)
trusts that API's local URL, and its keys are fetched from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from serverlite.gateway.discovery import discover_apis
from serverlite.gateway.model import ApiSpec
from serverlite.template.model import Application
from serverlite.template.rewrite import rewrite_strings


@dataclass(frozen=True)
class ApiEndpoint:
    api: ApiSpec
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def stage_url(self) -> str:
        stage = self.api.stage
        return self.base_url if stage == "$default" else f"{self.base_url}/{stage}"


def served_apis(app: Application) -> list[ApiSpec]:
    """The APIs that get a port, in the order ports are given."""
    return [api for api in discover_apis(app) if api.routes]


def assign_endpoints(
    apis: list[ApiSpec], host: str, ports: int | Sequence[int]
) -> list[ApiEndpoint]:
    """``ports``: the first of consecutive ports, or one port per served API in order."""
    served = [api for api in apis if api.routes]
    if isinstance(ports, int):
        ports = range(ports, ports + len(served))
    return [ApiEndpoint(api, host, port) for api, port in zip(served, ports, strict=True)]


def serve_locally(
    app: Application, host: str, ports: int | Sequence[int]
) -> tuple[Application, list[ApiEndpoint]]:
    """The application with local API URLs, and where each of its APIs is served."""
    endpoints = assign_endpoints(discover_apis(app), host, ports)
    local = localize(app, endpoints)
    # Ports depend only on the order of the APIs, which URLs do not change; reading the
    # APIs again picks up every localized value they hold (JWT issuers above all).
    return local, assign_endpoints(discover_apis(local), host, ports)


def localize(app: Application, endpoints: list[ApiEndpoint]) -> Application:
    """Rewrite execute-api URLs everywhere in the application to local base URLs."""
    if not endpoints:
        return app
    local = {e.api.api_id: e.base_url for e in endpoints}
    pattern = re.compile(
        r"https://(" + "|".join(re.escape(i) for i in local) + r")\.execute-api\.[a-z0-9-]+"
        r"\.amazonaws\.com"
    )

    return rewrite_strings(
        app, lambda text: pattern.sub(lambda m: local[m.group(1)], text), resources=True
    )
