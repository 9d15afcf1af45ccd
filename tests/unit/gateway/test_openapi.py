"""OpenAPI documents read as API Gateway imports them (no I/O)."""

from __future__ import annotations

from serverlite.gateway.integrations import mock_response
from serverlite.gateway.openapi import function_of_uri, read_definition

FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Items"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN_ARN}/invocations"
NAMES = {FN_ARN: "Items"}


def test_function_of_uri() -> None:
    assert function_of_uri(URI, NAMES) == "Items"
    assert function_of_uri(URI.replace("Items/", "Items:live/"), NAMES) == "Items"
    assert function_of_uri("arn:aws:lambda:us-east-1:1:function:Other", NAMES) == "Other"
    assert function_of_uri("https://example.com", NAMES) is None


def test_swagger2_body_validation_and_http_api_authorizers() -> None:
    swagger = {
        "swagger": "2.0",
        "x-amazon-apigateway-request-validators": {"body": {"validateRequestBody": True}},
        "x-amazon-apigateway-request-validator": "body",
        "definitions": {"Item": {"type": "object", "required": ["name"]}},
        "paths": {
            "/items": {
                "post": {
                    "parameters": [
                        {"in": "body", "name": "b", "schema": {"$ref": "#/definitions/Item"}}
                    ],
                    "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": URI},
                }
            }
        },
    }
    (route,) = read_definition("REST", swagger, NAMES, "Api").routes
    assert route.request_model == {
        "ValidateBody": True,
        "ValidateParameters": False,
        "Model": "POST /items",
        "Required": False,
    }
    http = {
        "openapi": "3.0.1",
        "components": {
            "securitySchemes": {
                "jwt": {
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": "$request.header.Authorization",
                        "jwtConfiguration": {"issuer": "http://127.0.0.1:1", "audience": ["a"]},
                    },
                },
                "fn": {
                    "type": "apiKey",
                    "x-amazon-apigateway-authorizer": {
                        "type": "request",
                        "authorizerUri": URI,
                        "identitySource": ["$request.header.X-Key"],
                        "enableSimpleResponses": True,
                    },
                },
            }
        },
        "security": [{"jwt": ["read"]}],
        "paths": {
            "/a": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": URI}}},
            "/b": {
                "get": {
                    "security": [{"fn": []}],
                    "x-amazon-apigateway-integration": {"type": "aws", "uri": URI},
                }
            },
        },
    }
    definition = read_definition("HTTP", http, NAMES, "Api")
    a, b = definition.routes
    assert (a.authorizer, a.authorization_scopes, a.payload_version) == ("jwt", ("read",), "2.0")
    assert definition.authorizers["jwt"].audiences == ("a",)
    fn = definition.authorizers["fn"]
    assert (fn.type, fn.function, fn.identity_sources, fn.simple_responses) == (
        "REQUEST",
        "Items",
        ("$request.header.X-Key",),
        True,
    )
    assert b.integration is not None and b.integration.type == "UNSUPPORTED"
    assert definition.warnings == (
        "API Api: GET /b: integration type aws is not emulated; the route answers 500",
    )


def test_mock_selects_the_response_by_status() -> None:
    doc = {
        "paths": {
            "/gone": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 410}'},
                        "responses": {
                            "4\\d{2}": {
                                "statusCode": "410",
                                "responseTemplates": {"text/plain": "gone"},
                            },
                            "default": {"statusCode": "200"},
                        },
                    }
                }
            }
        }
    }
    (route,) = read_definition("REST", doc, {}, "Api").routes
    response = mock_response(route)
    assert (response.status, response.body, response.header("content-type")) == (
        410,
        b"gone",
        "text/plain",
    )


def test_cognito_and_api_key_schemes_on_a_rest_api() -> None:
    doc = {
        "securityDefinitions": {
            "pool": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/p1"],
                },
            },
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        },
        "paths": {
            "/me": {
                "get": {
                    "security": [{"pool": ["profile"]}, {"api_key": []}],
                    "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": URI},
                }
            }
        },
    }
    definition = read_definition("REST", doc, NAMES, "Api")
    (route,) = definition.routes
    assert (route.authorizer, route.authorization_scopes, route.api_key_required) == (
        "pool",
        ("profile",),
        True,
    )
    pool = definition.authorizers["pool"]
    assert (pool.type, pool.user_pool_arns, pool.identity_sources) == (
        "COGNITO",
        ("arn:aws:cognito-idp:us-east-1:123456789012:userpool/p1",),
        ("method.request.header.Authorization",),
    )
