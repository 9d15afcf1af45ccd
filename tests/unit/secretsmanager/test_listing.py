import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.secretsmanager import listing
from serverlite.aws.secretsmanager.records import Secret


def secret(name, created, **fields):
    return Secret(
        arn=f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-abcdef",
        name=name,
        created=created,
        last_changed=created,
        **fields,
    )


SECRETS = [
    secret("prod/db", 1.0, description="Production database", tags=(("team", "core"),)),
    secret("prod/api", 2.0, stages={"AWSCURRENT": "v1"}),
    secret("dev/db", 3.0, deleted=10.0, deletion=99.0),
    secret("dev/cache", 4.0, description="cache"),
]


def names(body):
    return [s["Name"] for s in listing.list_secrets(SECRETS, body, "us-east-1")["SecretList"]]


def test_lists_by_creation_without_planned_deletions():
    assert names({}) == ["prod/db", "prod/api", "dev/cache"]
    assert names({"IncludePlannedDeletion": True}) == ["prod/db", "prod/api", "dev/db", "dev/cache"]
    assert names({"SortOrder": "desc"}) == ["dev/cache", "prod/api", "prod/db"]
    assert names({"SortBy": "name"}) == ["dev/cache", "prod/api", "prod/db"]


def test_filters():
    assert names({"Filters": [{"Key": "name", "Values": ["prod/"]}]}) == ["prod/db", "prod/api"]
    assert names({"Filters": [{"Key": "name", "Values": ["!prod/"]}]}) == ["dev/cache"]
    assert names({"Filters": [{"Key": "description", "Values": ["production"]}]}) == ["prod/db"]
    assert names({"Filters": [{"Key": "tag-key", "Values": ["team"]}]}) == ["prod/db"]
    assert names({"Filters": [{"Key": "tag-value", "Values": ["core"]}]}) == ["prod/db"]
    assert names({"Filters": [{"Key": "all", "Values": ["CACHE"]}]}) == ["dev/cache"]
    with pytest.raises(AwsError):
        names({"Filters": [{"Key": "colour", "Values": ["x"]}]})


def test_pagination():
    first = listing.list_secrets(SECRETS, {"MaxResults": 2}, "us-east-1")
    assert [s["Name"] for s in first["SecretList"]] == ["prod/db", "prod/api"]
    second = listing.list_secrets(
        SECRETS, {"MaxResults": 2, "NextToken": first["NextToken"]}, "us-east-1"
    )
    assert [s["Name"] for s in second["SecretList"]] == ["dev/cache"]
    assert "NextToken" not in second
    with pytest.raises(AwsError) as info:
        listing.list_secrets(SECRETS, {"NextToken": "garbage"}, "us-east-1")
    assert info.value.code == "InvalidNextTokenException"


def test_shape():
    shape = listing.secret_shape(SECRETS[0])
    assert shape["Description"] == "Production database"
    assert shape["Tags"] == [{"Key": "team", "Value": "core"}]
    assert "DeletedDate" not in shape
    assert listing.secret_shape(SECRETS[2])["DeletedDate"] == 10.0
    assert listing.secret_shape(SECRETS[1])["SecretVersionsToStages"] == {"v1": ["AWSCURRENT"]}
