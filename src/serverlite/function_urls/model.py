"""A function URL's configuration, from the template or the Lambda API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.gateway.model import CorsSpec
from serverlite.template.model import Application

AUTH_TYPES = ("NONE", "AWS_IAM")
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")


@dataclass(frozen=True)
class UrlConfig:
    url_id: str  # 32 lowercase alphanumerics: the host's first label on AWS
    function: str  # the function's name
    function_arn: str  # with the qualifier, when there is one
    qualifier: str | None
    auth_type: str  # NONE | AWS_IAM
    invoke_mode: str = "BUFFERED"
    cors: CorsSpec | None = None
    created: str = ""
    modified: str = ""
    region: str = "us-east-1"
    logical_id: str | None = None  # the template's AWS::Lambda::Url, if it came from one

    @property
    def aws_url(self) -> str:
        """The URL AWS gives it (what ``!GetAtt FnUrl.FunctionUrl`` returns)."""
        return f"https://{self.url_id}.lambda-url.{self.region}.on.aws/"

    @property
    def domain_name(self) -> str:
        return f"{self.url_id}.lambda-url.{self.region}.on.aws"

    @property
    def key(self) -> tuple[str, str | None]:
        return self.function, self.qualifier


def cors_spec(value: Any) -> CorsSpec | None:
    """Cors as the template and the API write it (AllowOrigins, ..., MaxAge)."""
    if not isinstance(value, Mapping):
        return None

    def names(key: str) -> tuple[str, ...]:
        items = value.get(key) or ()
        return tuple(str(item) for item in items) if isinstance(items, list | tuple) else ()

    max_age = value.get("MaxAge")
    return CorsSpec(
        allow_origins=names("AllowOrigins"),
        allow_methods=tuple(m.upper() for m in names("AllowMethods")),
        allow_headers=tuple(h.lower() for h in names("AllowHeaders")),
        expose_headers=tuple(h.lower() for h in names("ExposeHeaders")),
        allow_credentials=value.get("AllowCredentials") in (True, "true"),
        max_age=int(max_age) if max_age is not None else None,
    )


def cors_document(spec: CorsSpec | None) -> dict[str, Any] | None:
    """The API's ``Cors`` structure of a spec."""
    if spec is None:
        return None
    doc: dict[str, Any] = {
        "AllowCredentials": spec.allow_credentials,
        "AllowHeaders": list(spec.allow_headers),
        "AllowMethods": list(spec.allow_methods),
        "AllowOrigins": list(spec.allow_origins),
        "ExposeHeaders": list(spec.expose_headers),
    }
    if spec.max_age is not None:
        doc["MaxAge"] = spec.max_age
    return doc


def template_urls(app: Application) -> list[UrlConfig]:
    """Every AWS::Lambda::Url of the application (SAM's FunctionUrlConfig included)."""
    urls = []
    for res in app.resources:
        if res.type != "AWS::Lambda::Url":
            continue
        props = res.properties
        target = str(props.get("TargetFunctionArn") or "")
        name = target.split(":")[6] if target.startswith("arn:") else target
        fn = app.find_function(name)
        if fn is None:
            continue
        qualifier = props.get("Qualifier")
        url = str(res.attributes.get("FunctionUrl", ""))
        urls.append(
            UrlConfig(
                url_id=url.removeprefix("https://").split(".")[0],
                function=fn.name,
                function_arn=str(res.attributes.get("FunctionArn") or fn.arn),
                qualifier=str(qualifier) if qualifier else None,
                auth_type=str(props.get("AuthType") or "NONE"),
                invoke_mode=str(props.get("InvokeMode") or "BUFFERED"),
                cors=cors_spec(props.get("Cors")),
                region=app.region,
                logical_id=res.logical_id,
            )
        )
    return urls
