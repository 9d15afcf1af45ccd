from serverlite.gateway.model import RouteSpec
from serverlite.gateway.routing import Router


def route(method: str, path: str) -> RouteSpec:
    return RouteSpec(method=method, path=path, function=f"{method} {path}")


ROUTER = Router(
    (
        route("GET", "/items/{id}"),
        route("GET", "/items/special"),
        route("ANY", "/items/{id}"),
        route("GET", "/{proxy+}"),
        route("POST", "/items"),
        route("GET", "/"),
        route("GET", "/files/{path+}"),
    )
)


def test_literal_beats_parameter_beats_greedy():
    assert ROUTER.match("GET", "/items/special").route.path == "/items/special"
    match = ROUTER.match("GET", "/items/42")
    assert match.route.path == "/items/{id}" and match.path_parameters == {"id": "42"}
    assert ROUTER.match("GET", "/other/x/y").route.path == "/{proxy+}"


def test_specific_method_beats_any():
    assert ROUTER.match("GET", "/items/1").route.method == "GET"
    assert ROUTER.match("DELETE", "/items/1").route.method == "ANY"


def test_greedy_takes_the_rest_and_decodes():
    match = ROUTER.match("GET", "/files/a/b%20c/d")
    assert match.path_parameters == {"path": "a/b c/d"}


def test_root_and_misses():
    assert ROUTER.match("GET", "/").route.path == "/"
    assert ROUTER.match("PUT", "/items") is None
    assert ROUTER.path_exists("/items")
    assert ROUTER.methods_for("/items") == {"POST", "GET"}  # GET via {proxy+}


def test_http_default_route_catches_unmatched():
    router = Router((route("GET", "/a"), RouteSpec(method="ANY", path="$default", function="d")))
    assert router.match("GET", "/a").route.path == "/a"
    assert router.match("POST", "/zzz").route.function == "d"


def test_http_routers_do_not_decode_twice():
    router = Router((route("GET", "/f/{name}"),), decode=False)
    assert router.match("GET", "/f/a%20b").path_parameters == {"name": "a%20b"}
