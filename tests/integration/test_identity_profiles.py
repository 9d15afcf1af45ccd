"""identity, locations and profiles (seed 002) end to end, over HTTP.

Three SAM apps nested in one template (the root template wires them the same way):
identity's API URL is the issuer that the locations and profiles gateways trust, and
their JWT authorizers fetch its keys from it on 127.0.0.1. Tokens the test forges
are signed with identity's real keys, read from Secrets Manager at the endpoint.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
from botocore.exceptions import ClientError

from serverlite.iam import credentials
from serverlite.observe.logs import LogStore
from serverlite.template import load_application
from tests.integration.conftest import Server, cli, lambda_client, start_server

pytestmark = pytest.mark.integration
SERVICES = Path(__file__).resolve().parents[2] / "services"
TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "identity_profiles" / "template.yaml"
PASSWORD = "correct horse battery"
PARIS = {"latitude": 48.8584, "longitude": 2.2945, "place": "Paris"}


@dataclass
class System:
    server: Server
    identity: str
    locations: str
    profiles: str

    def aws(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.server.url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )

    def secret(self, logical_id: str) -> dict[str, Any]:
        sm = self.aws("secretsmanager")
        (name,) = [
            s["Name"] for s in sm.list_secrets()["SecretList"] if s["Name"].endswith(logical_id)
        ]
        return json.loads(sm.get_secret_value(SecretId=name)["SecretString"])

    def starts(self, function: str) -> int:
        """How many times ``function`` has run (START lines in its log group)."""
        db = self.server.state_dir / "logs.db"
        if not db.exists():
            return 0
        events = LogStore(db).read(f"/aws/lambda/{function}")
        return sum(1 for e in events if e.message.startswith("START RequestId:"))


def start_system(root: Path, *overrides: str) -> System:
    args = ["--port", "0", "--iam", "enforce"]
    if overrides:
        args += ["--parameter-overrides", " ".join(overrides)]
    server = start_server(TEMPLATE, root / "state", *args)
    urls = server.api_urls()
    return System(
        server,
        urls["Identity/IdentityApi"],
        urls["Locations/LocationsApi"],
        urls["Profiles/ProfilesApi"],
    )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    running = start_system(tmp_path_factory.mktemp("seed002"))
    yield running
    running.server.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def sign_up_and_in(system: System, http: httpx.Client, username: str) -> dict[str, Any]:
    created = http.post(
        f"{system.identity}/signup", json={"username": username, "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    session = http.post(
        f"{system.identity}/signin", json={"username": username, "password": PASSWORD}
    )
    assert session.status_code == 200, session.text
    assert session.headers["cache-control"] == "no-store"
    return session.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_discovery_names_the_local_issuer(system, http):
    document = http.get(f"{system.identity}/.well-known/openid-configuration").json()
    assert document["issuer"] == system.identity
    assert document["jwks_uri"] == f"{system.identity}/.well-known/jwks.json"
    keys = http.get(document["jwks_uri"]).json()["keys"]
    assert len(keys) >= 2
    assert all(k["alg"] == "ES256" and "d" not in k for k in keys)


def test_sign_up_sign_in_locate_profile_refresh_sign_out(system, http):
    ada = sign_up_and_in(system, http, "ada")
    user_id, token = ada["user_id"], ada["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == system.identity and claims["sub"] == user_id
    assert claims["exp"] - claims["iat"] == 900
    location = f"{system.locations}/locations/{user_id}"
    profile = f"{system.profiles}/profiles/{user_id}"

    put = http.put(location, json=PARIS, headers=bearer(token))
    assert put.status_code == 200, put.text
    about = {"displayName": "Ada Lovelace", "bio": "Analyst"}
    created = http.put(profile, json=about, headers=bearer(token))
    assert created.status_code == 201, created.text

    page = http.get(profile)  # public: no token
    assert page.status_code == 200
    body = page.json()
    assert body["displayName"] == "Ada Lovelace"
    assert body["location"] == {
        "status": "available",
        **PARIS,
        "updatedAt": put.json()["updatedAt"],
    }

    refresh = f"{system.identity}/token/refresh"
    refreshed = http.post(refresh, json={"refresh_token": ada["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    assert fresh["refresh_token"] != ada["refresh_token"]
    moved = {**PARIS, "place": "Paris, Louvre", "latitude": 48.8606, "longitude": 2.3376}
    moving = http.put(location, json=moved, headers=bearer(fresh["access_token"]))
    assert moving.status_code == 200
    assert http.get(profile).json()["location"]["place"] == "Paris, Louvre"

    signout = http.post(
        f"{system.identity}/signout", json={"refresh_token": fresh["refresh_token"]}
    )
    assert signout.status_code == 204
    refused = http.post(refresh, json={"refresh_token": fresh["refresh_token"]})
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_grant"

    # The password is in no table and no log.
    ddb = system.aws("dynamodb")
    for table in ddb.list_tables()["TableNames"]:
        assert PASSWORD not in json.dumps(ddb.scan(TableName=table)["Items"])
    assert PASSWORD.encode() not in (system.server.state_dir / "logs.db").read_bytes()


def test_a_reused_refresh_token_revokes_the_session(system, http):
    grace = sign_up_and_in(system, http, "grace")
    url = f"{system.identity}/token/refresh"
    fresh = http.post(url, json={"refresh_token": grace["refresh_token"]}).json()
    reuse = http.post(url, json={"refresh_token": grace["refresh_token"]})
    assert reuse.status_code == 401
    assert "revoked" in reuse.json()["message"]
    assert http.post(url, json={"refresh_token": fresh["refresh_token"]}).status_code == 401


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def forged_tokens(system: System, user_id: str, good: str) -> dict[str, str | None]:
    ring = system.secret("SigningKeys")
    key, kid = ring["current"]["private_key"], ring["current"]["kid"]
    now = int(time.time())
    claims = {
        "iss": system.identity,
        "sub": user_id,
        "aud": ["locations", "profiles"],
        "iat": now,
        "exp": now + 600,
        "scope": "profiles:write locations:write",
        "token_use": "access",
    }

    def sign(**changes: Any) -> str:
        return jwt.encode({**claims, **changes}, key, algorithm="ES256", headers={"kid": kid})

    head, payload, signature = good.split(".")
    tampered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered["sub"] = "someone-else"
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = ec.generate_private_key(ec.SECP256R1())
    return {
        "missing": None,
        "expired": sign(iat=now - 1000, exp=now - 100),
        "tampered": f"{head}.{_b64(tampered)}.{signature}",
        "wrong audience": sign(aud=["orders"]),
        "wrong issuer": sign(iss="http://127.0.0.1:9/not-identity"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}.",
        "signed by another key": jwt.encode(
            claims, stranger, algorithm="ES256", headers={"kid": kid}
        ),
        "not a jwt": "hello",
    }


def test_bad_tokens_are_refused_at_the_gateway_and_no_function_runs(system, http):
    eve = sign_up_and_in(system, http, "eve")
    user_id, good = eve["user_id"], eve["access_token"]
    location = f"{system.locations}/locations/{user_id}"
    profile_url = f"{system.profiles}/profiles/{user_id}"
    profile = {"displayName": "Eve"}
    # Run both routes once, so their functions have run and logged before counting.
    assert http.put(location, json=PARIS, headers=bearer(good)).status_code == 200
    assert http.put(profile_url, json=profile, headers=bearer(good)).status_code == 201
    functions = ("Locations-PutLocation", "Locations-GetLocation", "Profiles-PutProfile")
    before = settled_starts(system, functions)

    for name, token in forged_tokens(system, user_id, good).items():
        headers = bearer(token) if token is not None else {}
        for method, url, body in (
            ("PUT", location, {**PARIS, "place": "Forged"}),
            ("GET", location, None),
            ("PUT", profile_url, {"displayName": "Forged"}),
        ):
            response = http.request(method, url, json=body, headers=headers)
            assert response.status_code == 401, (name, method, url, response.text)
            assert response.json() == {"message": "Unauthorized"}
            assert response.headers["www-authenticate"].startswith("Bearer")

    # One good request per function: once its run is logged, the forged ones would be too.
    assert http.get(location, headers=bearer(good)).json()["place"] == "Paris"
    http.put(location, json=PARIS, headers=bearer(good))
    http.put(profile_url, json=profile, headers=bearer(good))
    wait_for_logs(system, {f: before[f] + 1 for f in functions})
    time.sleep(0.3)
    assert {f: system.starts(f) for f in functions} == {f: before[f] + 1 for f in functions}


def settled_starts(system: System, functions: tuple[str, ...]) -> dict[str, int]:
    """Run counts once every run so far has been logged (logs are written in the back)."""
    last: dict[str, int] = {}
    for _ in range(100):
        now = {f: system.starts(f) for f in functions}
        if now == last:
            return now
        last = now
        time.sleep(0.3)
    raise AssertionError(f"logs kept changing: {last}")


def wait_for_logs(system: System, counts: dict[str, int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(system.starts(f) >= n for f, n in counts.items()):
            return
        time.sleep(0.05)
    raise AssertionError({f: system.starts(f) for f in counts})


def test_users_cannot_touch_each_others_data(system, http):
    ann, bob = sign_up_and_in(system, http, "ann"), sign_up_and_in(system, http, "bob")
    as_ann, as_bob = bearer(ann["access_token"]), bearer(bob["access_token"])
    location = f"{system.locations}/locations/{ann['user_id']}"
    profile = f"{system.profiles}/profiles/{ann['user_id']}"
    assert http.put(location, json=PARIS, headers=as_ann).status_code == 200
    assert http.put(profile, json={"displayName": "Ann"}, headers=as_ann).status_code == 201
    before_location = http.get(location, headers=as_ann).json()
    before_profile = http.get(profile).json()

    moved = {**PARIS, "place": "Somewhere else"}
    assert http.put(location, json=moved, headers=as_bob).status_code == 403
    assert http.get(location, headers=as_bob).status_code == 403
    assert (
        http.put(profile, json={"displayName": "Bob was here"}, headers=as_bob).status_code == 403
    )

    assert http.get(location, headers=as_ann).json() == before_location
    assert http.get(profile).json() == before_profile


def test_a_late_older_position_never_overwrites_a_newer_one(system, http):
    hal = sign_up_and_in(system, http, "hal")
    url = f"{system.locations}/locations/{hal['user_id']}"
    token = bearer(hal["access_token"])
    newer = {**PARIS, "updatedAt": "2025-05-01T12:00:00Z"}
    older = {**PARIS, "place": "Stale", "updatedAt": "2025-05-01T11:00:00Z"}
    assert http.put(url, json=newer, headers=token).status_code == 200
    late = http.put(url, json=older, headers=token)
    assert late.status_code == 409
    assert http.get(url, headers=token).json()["updatedAt"] == "2025-05-01T12:00:00.000Z"
    bad = http.put(url, json={**PARIS, "latitude": 91}, headers=token)
    assert bad.status_code == 400 and "latitude" in bad.json()["message"]


def _client_token(system: System, http: httpx.Client, secret: str, **form: str) -> httpx.Response:
    client = system.secret(secret)
    return http.post(
        f"{system.identity}/token",
        data={"grant_type": "client_credentials", **form},
        auth=(client["client_id"], client["client_secret"]),
    )


def test_a_service_token_reads_but_never_writes_locations(system, http):
    cy = sign_up_and_in(system, http, "cyd")
    url = f"{system.locations}/locations/{cy['user_id']}"
    assert http.put(url, json=PARIS, headers=bearer(cy["access_token"])).status_code == 200
    grant = _client_token(system, http, "ProfilesClient")
    assert grant.status_code == 200, grant.text
    assert grant.json()["scope"] == "locations:read"
    service = bearer(grant.json()["access_token"])
    assert http.get(url, headers=service).json()["place"] == "Paris"
    assert http.put(url, json={**PARIS, "place": "x"}, headers=service).status_code == 403
    # a service token is not for profiles' audience at all
    put = http.put(
        f"{system.profiles}/profiles/{cy['user_id']}", json={"displayName": "x"}, headers=service
    )
    assert put.status_code == 401
    wrong = http.post(
        f"{system.identity}/token",
        data={"grant_type": "client_credentials"},
        auth=("profiles", "not the secret"),
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    greedy = _client_token(system, http, "ProfilesClient", scope="identity:admin")
    assert greedy.status_code == 400 and greedy.json()["error"] == "invalid_scope"


def test_sign_in_attempts_are_limited_with_a_clear_429(system, http):
    for user in ("dora", "dori"):  # again if a 15-minute window ended midway
        sign_up_and_in(system, http, user)
        user_window = time.time() // 900
        wrong = {"username": user, "password": "not the password"}
        for _ in range(5):
            assert http.post(f"{system.identity}/signin", json=wrong).status_code == 401
        right = {"username": user, "password": PASSWORD}
        limited = http.post(f"{system.identity}/signin", json=right)
        if time.time() // 900 == user_window:
            break
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_attempts"
    assert 0 < int(limited.headers["retry-after"]) <= 900

    def from_address(address: str) -> httpx.Client:
        return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)

    # The failures were counted per user and source address: the one who guessed wrong is
    # locked out, the user signing in from elsewhere is not.
    with from_address("127.0.0.80") as elsewhere:
        assert elsewhere.post(f"{system.identity}/signin", json=right).status_code == 200

    # Per source address: 20 attempts a minute (the fixture's SigninAttemptsPerIp).

    def attempt(i: int) -> dict[str, str]:  # a new name each time: no per-user limit
        return {"username": f"nobody-{i}", "password": "whatever it is"}

    for address in ("127.0.0.77", "127.0.0.79"):  # again if a minute window ended midway
        window = time.time() // 60
        with from_address(address) as crowd:
            answers = [crowd.post(f"{system.identity}/signin", json=attempt(i)) for i in range(21)]
        if time.time() // 60 == window:
            break
    assert [a.status_code for a in answers] == [401] * 20 + [429]
    assert "address" in answers[20].json()["message"]
    assert 0 < int(answers[20].headers["retry-after"]) <= 60
    with from_address("127.0.0.78") as other:
        assert other.post(f"{system.identity}/signin", json=attempt(99)).status_code == 401

    # The counters live in identity's table, each with a TTL at the end of its window
    # (earlier windows' counters may still be there: DynamoDB deletes expired items late).
    items = system.aws("dynamodb").scan(TableName="Identity-IdentityTable")["Items"]
    counters = {
        i["pk"]["S"]: int(i["expiresAt"]["N"]) for i in items if i["pk"]["S"].startswith("RATE#")
    }
    assert all(expiry <= time.time() + 3600 for expiry in counters.values())  # the longest
    (address_window,) = [k for k in counters if k.startswith(f"RATE#signin-ip#{address}#")]
    assert counters[address_window] > window * 60
    (user_key,) = [k for k in counters if k.startswith(f"RATE#signin-user#{user}#")]
    assert counters[user_key] > time.time()


def test_keys_rotate_without_breaking_tokens_in_flight(system, http):
    fay = sign_up_and_in(system, http, "fay")
    url = f"{system.locations}/locations/{fay['user_id']}"
    old = bearer(fay["access_token"])
    assert http.put(url, json=PARIS, headers=old).status_code == 200  # the gateway has the JWKS now

    assert http.post(f"{system.identity}/admin/rotate-keys", headers=old).status_code == 401
    admin = _client_token(system, http, "AdminClient").json()["access_token"]
    rotated = http.post(f"{system.identity}/admin/rotate-keys", headers=bearer(admin))
    assert rotated.status_code == 200, rotated.text
    kids = {k["kid"] for k in http.get(f"{system.identity}/.well-known/jwks.json").json()["keys"]}
    assert {rotated.json()["current"], rotated.json()["previous"]} <= kids and len(kids) == 3
    assert jwt.get_unverified_header(fay["access_token"])["kid"] in kids

    assert http.get(url, headers=old).status_code == 200  # signed before, still good
    time.sleep(1.1)  # the fixture's KeyCacheSeconds: signers pick up the new ring
    again = http.post(
        f"{system.identity}/signin", json={"username": "fay", "password": PASSWORD}
    ).json()
    assert jwt.get_unverified_header(again["access_token"])["kid"] == rotated.json()["current"]
    assert http.get(url, headers=bearer(again["access_token"])).status_code == 200

    too_soon = http.post(f"{system.identity}/admin/rotate-keys", headers=bearer(admin))
    assert too_soon.status_code == 409
    assert int(too_soon.headers["retry-after"]) > 0


def test_sample_events_work_with_invoke(system):
    client = lambda_client(system.server)
    for sample, function, status in (
        ("identity/events/jwks.json", "Identity-WellKnown", {200}),
        ("identity/events/signup.json", "Identity-Signup", {201, 409}),  # ada may exist
        ("identity/events/signin.json", "Identity-Signin", {200}),
        ("locations/events/put.json", "Locations-PutLocation", {200}),
        ("locations/events/put-other-user.json", "Locations-PutLocation", {403}),
        ("locations/events/get-as-service.json", "Locations-GetLocation", {200}),
        ("profiles/events/put.json", "Profiles-PutProfile", {200, 201}),
        ("profiles/events/get.json", "Profiles-GetProfile", {200}),
    ):
        payload = (SERVICES / sample).read_bytes()
        result = json.loads(client.invoke(FunctionName=function, Payload=payload)["Payload"].read())
        assert result.get("statusCode") in status, (sample, result)
    page = json.loads(result["body"])
    assert page["displayName"] == "Ada Lovelace"
    assert page["location"]["status"] == "available"


@pytest.mark.parametrize("fault", ["delay:5000", "error"])
def test_profiles_answer_in_bounded_time_when_locations_is_down(tmp_path, http, fault):
    broken = start_system(tmp_path, f"LocationsFault={fault}")
    try:
        gil = sign_up_and_in(broken, http, "gil")
        page = f"{broken.profiles}/profiles/{gil['user_id']}"
        owner = bearer(gil["access_token"])
        assert http.put(page, json={"displayName": "Gil"}, headers=owner).status_code == 201
        for call in range(3):  # the first starts profiles' environment: not timed
            started = time.monotonic()
            response = http.get(page)
            elapsed = time.monotonic() - started
            assert response.status_code == 200, response.text
            assert response.json()["displayName"] == "Gil"
            assert response.json()["location"] == {"status": "unavailable"}
            if call and fault.startswith("delay"):
                # It waited for locations up to its 1.5 s budget, then answered without
                # it: before locations' 5 s delay ended (that far apart, so no load
                # stretches one into the other).
                assert 1.4 <= elapsed < 5.0, elapsed
    finally:
        broken.server.stop()


def test_profiles_is_refused_on_the_locations_table_as_aws_refuses_it(system):
    """Seed 002: each service owns its table. A call signed with GetProfile's own key
    (the credentials its environment has) reads the profiles table and is refused on
    locations' with AWS's AccessDeniedException; `iam suggest` names what it lacked."""
    app = load_application(TEMPLATE)
    get_profile = app.find_function("Profiles/GetProfile")
    assert get_profile is not None
    tables = {
        res.stack_path[0]: res.physical_id
        for res in app.resources
        if res.type == "AWS::DynamoDB::Table" and res.stack_path
    }
    keys = credentials.for_function(get_profile.arn)
    as_get_profile = boto3.client(
        "dynamodb",
        endpoint_url=system.server.url,
        region_name="us-east-1",
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        aws_session_token=keys.session_token,
    )
    admin = system.aws("dynamodb")
    for stack in ("Profiles", "Locations"):
        schema = admin.describe_table(TableName=tables[stack])["Table"]["KeySchema"]
        key = {schema[0]["AttributeName"]: {"S": "nobody"}}
        if stack == "Profiles":
            as_get_profile.get_item(TableName=tables[stack], Key=key)  # its own: allowed
            continue
        with pytest.raises(ClientError) as refused:
            as_get_profile.get_item(TableName=tables[stack], Key=key)
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {
        "Code": "AccessDeniedException",
        "Message": (
            f"User: arn:aws:sts::123456789012:assumed-role/{get_profile.role.rsplit('/', 1)[1]}"
            f"/{get_profile.name} is not authorized to perform: dynamodb:GetItem on resource: "
            f"arn:aws:dynamodb:us-east-1:123456789012:table/{tables['Locations']} because no "
            "identity-based policy allows the dynamodb:GetItem action"
        ),
    }
    found = cli(
        "iam", "suggest", "Profiles/GetProfile", "--template", str(TEMPLATE),
        "--state-dir", str(system.server.state_dir),
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "refused (or would be): dynamodb:GetItem on arn:aws:dynamodb:" in found.stdout
    assert f"DynamoDBReadPolicy: {{TableName: {tables['Locations']}}}" in found.stdout
    assert "DynamoDBReadPolicy: {TableName: !Ref ProfilesTable}" in found.stdout
