from serverlite.functions.context import LambdaContext


def make(clock):
    return LambdaContext(
        aws_request_id="rid",
        deadline_ms=10_000,
        invoked_function_arn="arn:fn",
        function_name="fn",
        function_version="$LATEST",
        memory_limit_in_mb="128",
        log_group_name="/aws/lambda/fn",
        log_stream_name="s",
        client_context={"client": {"installation_id": "i"}, "custom": {"k": "v"}, "env": {}},
        identity={"cognitoIdentityId": "id", "cognitoIdentityPoolId": "pool"},
        clock=clock,
    )


def test_remaining_time_follows_the_injected_clock():
    now = [4.0]
    ctx = make(lambda: now[0])
    assert ctx.get_remaining_time_in_millis() == 6000
    now[0] = 9.9995
    assert ctx.get_remaining_time_in_millis() == 1
    now[0] = 20.0
    assert ctx.get_remaining_time_in_millis() == 0


def test_attributes_match_the_runtime_interface_client():
    ctx = make(lambda: 0.0)
    assert ctx.memory_limit_in_mb == "128"  # a string on AWS too
    assert ctx.identity.cognito_identity_id == "id"
    assert ctx.identity.cognito_identity_pool_id == "pool"
    assert ctx.client_context is not None
    assert ctx.client_context.client is not None
    assert ctx.client_context.client.installation_id == "i"
    assert ctx.client_context.custom == {"k": "v"}
    assert "aws_request_id=rid" in repr(ctx)
