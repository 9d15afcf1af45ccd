import pytest

from serverlite.template import powertools_layers as powertools


def test_v3_layer_of_a_known_version_gives_that_release() -> None:
    arn = (
        "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:6"
    )
    layer = powertools.recognize(arn)
    assert layer is not None and layer.known
    assert layer.requirement == "aws-lambda-powertools[all]==3.4.1"
    assert layer.python == "3.12"


def test_v3_layer_of_an_unknown_version_gives_the_pin_and_says_so() -> None:
    arn = (
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"
    )
    layer = powertools.recognize(arn)
    assert layer is not None and not layer.known
    assert layer.release == powertools.PINNED_V3
    assert "serverlite's pin" in layer.describe()


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:79",
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2-Arm64:79",
        "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV2:60",
    ],
)
def test_v2_layers_give_the_last_v2_release(arn: str) -> None:
    layer = powertools.recognize(arn)
    assert layer is not None and layer.release == powertools.PINNED_V2


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:6",
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3:6",
        "arn:aws:lambda:us-east-1:017000801446:layer:SomethingElse:1",
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2-python312-x86_64:1",
    ],
)
def test_other_layers_are_not_powertools(arn: str) -> None:
    assert powertools.recognize(arn) is None
