"""REST request validation: required parameters and body models (JSON Schema draft 4).

As API Gateway does it, a request that fails is answered 400 and the function is not
invoked: ``Invalid request body`` for the body, ``Missing required request
parameters: [a, b]`` for parameters.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from serverlite.gateway import errors
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ApiSpec, RouteSpec

if TYPE_CHECKING:
    from jsonschema import Draft4Validator

Failure = tuple[errors.GatewayError, str | None]


class RequestValidator:
    def __init__(self, api: ApiSpec) -> None:
        self.api = api
        self._validators: dict[str, Draft4Validator] = {}
        for name, schema in api.models.items():
            if isinstance(schema, dict):
                from jsonschema import Draft4Validator  # only for APIs with models

                self._validators[name] = Draft4Validator(schema)

    def check(
        self, route: RouteSpec, request: HttpRequest, path_parameters: dict[str, str]
    ) -> Failure | None:
        if self.api.kind != "REST":
            return None
        missing = [
            name
            for name, required in route.request_parameters
            if required and not _present(name, request, path_parameters)
        ]
        model = route.request_model or {}
        validate_params = model.get("ValidateParameters", True) if model else True
        if missing and validate_params:
            names = ", ".join(n.rsplit(".", 1)[-1] for n in missing)
            return errors.INVALID_BODY, f"Missing required request parameters: [{names}]"
        if not model or not model.get("ValidateBody", True):
            return None
        validator = self._validators.get(str(model.get("Model")))
        if validator is None:
            return None
        if not request.body:
            if model.get("Required"):
                return errors.INVALID_BODY, None
            return None
        try:
            body: Any = json.loads(request.body)
        except ValueError:
            return errors.INVALID_BODY, None
        if not validator.is_valid(body):
            return errors.INVALID_BODY, None
        return None


def _present(name: str, request: HttpRequest, path_parameters: dict[str, str]) -> bool:
    # method.request.{header|querystring|path}.{name}
    parts = name.split(".", 3)
    if len(parts) != 4:
        return True
    where, key = parts[2], parts[3]
    if where == "header":
        return request.header(key) is not None
    if where == "querystring":
        return any(p.split("=", 1)[0] == key for p in request.query.split("&") if p)
    if where == "path":
        return key in path_parameters
    return True
