"""Route matching as API Gateway does it: literal segments beat {param}, which beats {proxy+};
a specific method beats ANY; HTTP APIs fall back to their $default route.

Paths arrive with their leading slashes collapsed (the gateway does that). A trailing
slash is ignored, and a double slash inside the path survives only in a greedy
parameter: AWS answers ``/stage/proxy-value//double-slash`` with
``{"proxy": "proxy-value//double-slash"}`` and ``/stage/proxy-value/`` with
``{"proxy": "proxy-value"}`` (observed on a REST API, LocalStack's AWS-validated
snapshot of test_lambda_aws_proxy_integration).
"""

from __future__ import annotations

from dataclasses import dataclass

from serverlite.gateway.model import RouteSpec

_LITERAL, _PARAM, _GREEDY = 0, 1, 2
MATCH_CACHE_SIZE = 1024  # (method, path) pairs remembered; all forgotten when full


@dataclass(frozen=True)
class _Compiled:
    route: RouteSpec
    segments: tuple[tuple[int, str], ...]  # (kind, literal text or parameter name)
    rank: tuple[int, ...]


@dataclass(frozen=True)
class Match:
    """A route and its parameters; shared by every request to the same method and path
    (the router remembers it), so never changed."""

    route: RouteSpec
    path_parameters: dict[str, str]


def _compile(route: RouteSpec) -> _Compiled:
    segments: list[tuple[int, str]] = []
    for part in route.path.strip("/").split("/") if route.path.strip("/") else []:
        if part.startswith("{") and part.endswith("+}"):
            segments.append((_GREEDY, part[1:-2]))
        elif part.startswith("{") and part.endswith("}"):
            segments.append((_PARAM, part[1:-1]))
        else:
            segments.append((_LITERAL, part))
    rank = (*(kind for kind, _ in segments), 1 if route.method == "ANY" else 0)
    return _Compiled(route, tuple(segments), rank)


class Router:
    """Parameters are cut from the path as given: REST hands them over percent-encoded as
    sent (``test%2Balias`` stays so); HTTP APIs decode the whole path before routing."""

    def __init__(self, routes: tuple[RouteSpec, ...]) -> None:
        compiled = [_compile(r) for r in routes if r.path != "$default"]
        # Most specific first: literal < param < greedy at each depth, longer paths first.
        self._routes = sorted(compiled, key=lambda c: (c.rank, -len(c.segments)))
        self._default = next((r for r in routes if r.path == "$default"), None)
        self._cache: dict[tuple[str, str], Match | None] = {}

    def match(self, method: str, path: str) -> Match | None:
        key = (method, path)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self._match(method, path)
        if len(self._cache) >= MATCH_CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = found
        return found

    def _match(self, method: str, path: str) -> Match | None:
        parts = _parts(path)
        best: tuple[tuple[int, ...], _Compiled, dict[str, str]] | None = None
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            params = _match_segments(compiled.segments, parts)
            if params is None:
                continue
            key = _specificity(compiled, len(parts))
            if best is None or key < best[0]:
                best = (key, compiled, params)
        if best is not None:
            return Match(best[1].route, best[2])
        if self._default is not None:
            return Match(self._default, {})
        return None

    def path_exists(self, path: str) -> bool:
        """Whether any method serves this path (REST answers 403 for unknown ones)."""
        parts = _parts(path)
        return any(_match_segments(c.segments, parts) is not None for c in self._routes)

    def methods_for(self, path: str) -> set[str]:
        parts = _parts(path)
        return {
            c.route.method for c in self._routes if _match_segments(c.segments, parts) is not None
        }


def _specificity(compiled: _Compiled, depth: int) -> tuple[int, ...]:
    kinds = [kind for kind, _ in compiled.segments]
    padded = kinds + [_GREEDY] * max(0, depth - len(kinds))
    return (*padded, 1 if compiled.route.method == "ANY" else 0)


def _parts(path: str) -> list[str]:
    """The path's segments; empty ones (a double slash) stay, for a greedy parameter."""
    inner = path.strip("/")
    return inner.split("/") if inner else []


def _match_segments(
    segments: tuple[tuple[int, str], ...], parts: list[str]
) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, (kind, text) in enumerate(segments):
        if kind == _GREEDY:
            if index >= len(parts):
                return None  # {proxy+} needs at least one segment
            params[text] = "/".join(parts[index:])
            return params
        if index >= len(parts):
            return None
        part = parts[index]
        if kind == _LITERAL:
            if part != text:
                return None
        elif not part:
            return None  # a {param} never matches an empty segment
        else:
            params[text] = part
    return params if len(parts) == len(segments) else None
