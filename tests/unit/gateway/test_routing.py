from serverlite.gateway.model import RouteSpec
from serverlite.gateway.routing import MATCH_CACHE_SIZE, Router


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


def test_parameters_are_taken_as_sent():
    # AWS: GET /stage/proxy-value/api/user/test%2Balias@gmail.com reaches a {proxy+}
    # resource with proxy "proxy-value/api/user/test%2Balias@gmail.com", still encoded
    # (observed on a REST API: LocalStack's AWS-validated snapshot of
    # test_lambda_aws_proxy_integration, "invocation-payload-with-path-encoded-email").
    match = ROUTER.match("GET", "/files/a/b%20c/test%2Balias@x")
    assert match.path_parameters == {"path": "a/b%20c/test%2Balias@x"}
    assert ROUTER.match("GET", "/items/a%2Fb").path_parameters == {"id": "a%2Fb"}


def test_double_slashes_stay_in_a_greedy_parameter_and_trailing_slashes_go():
    # AWS (same recording): /stage/proxy-value//double-slash -> proxy
    # "proxy-value//double-slash"; /stage/proxy-value/ -> proxy "proxy-value".
    assert ROUTER.match("GET", "/proxy-value//double-slash").path_parameters == {
        "proxy": "proxy-value//double-slash"
    }
    assert ROUTER.match("GET", "/proxy-value/").path_parameters == {"proxy": "proxy-value"}
    assert ROUTER.match("GET", "/items/42/").path_parameters == {"id": "42"}
    # An empty segment is no {param} and no literal: only a greedy parameter takes it.
    assert ROUTER.match("GET", "/items//special").route.path == "/{proxy+}"


def test_root_and_misses():
    assert ROUTER.match("GET", "/").route.path == "/"
    assert ROUTER.match("PUT", "/items") is None
    assert ROUTER.path_exists("/items")
    assert ROUTER.methods_for("/items") == {"POST", "GET"}  # GET via {proxy+}


def test_http_default_route_catches_unmatched():
    router = Router((route("GET", "/a"), RouteSpec(method="ANY", path="$default", function="d")))
    assert router.match("GET", "/a").route.path == "/a"
    assert router.match("POST", "/zzz").route.function == "d"


def test_matches_are_remembered_per_method_and_path_within_a_bound():
    router = Router((route("GET", "/items/{id}"), route("ANY", "/items/{id}")))
    first = router.match("GET", "/items/1")
    assert router.match("GET", "/items/1") is first  # answered from memory
    assert router.match("PUT", "/items/1").route.method == "ANY"  # the method is in the key
    assert router.match("GET", "/nothing") is None and router.match("GET", "/nothing") is None
    for i in range(MATCH_CACHE_SIZE + 10):  # many distinct paths: memory stays bounded
        assert router.match("GET", f"/items/{i}").path_parameters == {"id": str(i)}
    assert len(router._cache) <= MATCH_CACHE_SIZE
    assert router.match("GET", "/items/1").path_parameters == {"id": "1"}
