"""What ``serverlite up`` says about authorization when it starts: keys and warnings."""

from __future__ import annotations

from collections.abc import Mapping

from serverlite.gateway.authorizers.issuers import ISSUERS_ENV, cognito_issuer
from serverlite.gateway.authorizers.loopback import is_loopback_url
from serverlite.gateway.model import ApiSpec


def api_key_lines(api: ApiSpec) -> list[str]:
    """One line per API key a usage plan of ``api`` holds (values included: local use)."""
    lines = []
    seen: set[str] = set()
    for plan in api.usage_plans:
        for key in plan.keys:
            if key.key_id in seen:
                continue
            seen.add(key.key_id)
            notes = []
            if key.generated:
                notes.append("generated")
            if not key.enabled:
                notes.append("disabled: Enabled is not true")
            suffix = f" ({', '.join(notes)})" if notes else ""
            lines.append(f"API key {key.name} for {api.qualified_id}: {key.value}{suffix}")
    return lines


def authorizer_warnings(api: ApiSpec, issuers: Mapping[str, str]) -> list[str]:
    """Issuers whose keys cannot be fetched locally: their tokens will all get 401."""
    mapped = {k.rstrip("/") for k in issuers}
    warnings = []
    for spec in api.authorizers.values():
        wanted = [spec.issuer] if spec.type == "JWT" and spec.issuer else []
        if spec.type == "COGNITO":
            wanted = [cognito_issuer(arn) for arn in spec.user_pool_arns]
        for issuer in wanted:
            if issuer.rstrip("/") not in mapped and not is_loopback_url(issuer):
                warnings.append(
                    f"authorizer {spec.name} of {api.qualified_id}: issuer {issuer} is not on "
                    f"this machine; every token gets 401 until {ISSUERS_ENV} maps it to a "
                    "local URL serving its JWKS"
                )
    return warnings
