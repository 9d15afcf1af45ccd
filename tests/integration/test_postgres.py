"""Custom::ServerlitePostgres: the embedded server, the secret it fills, migrations
applied once, any server by URL, and a clean stop. In-process, real PostgreSQL."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from serverlite.aws import postgres, registry, secretsmanager
from serverlite.aws.backend import ServiceContext
from serverlite.aws.postgres.embedded import EmbeddedServer
from serverlite.aws.postgres.service import PostgresService
from serverlite.aws.secretsmanager import ops_secrets, ops_values
from serverlite.aws.secretsmanager.service import SecretsManagerService
from serverlite.errors import TemplateError
from serverlite.template import load_application
from tests.integration.conftest import FIXTURES

pytestmark = pytest.mark.integration


class Cloud:
    """The two backends the resource needs, as `up` builds them."""

    def __init__(self, state: Path) -> None:
        context = ServiceContext(state, "us-east-1", "123456789012", time.time)
        secrets, database = registry.build(context, (secretsmanager, postgres)).backends
        assert isinstance(secrets, SecretsManagerService)
        assert isinstance(database, PostgresService)
        self.secrets, self.postgres = secrets, database

    def up(self, template: Path, **parameters: str) -> str:
        app = load_application(template, parameter_overrides=parameters or None)
        self.secrets.provision(app)
        (line,) = self.postgres.provision(app)
        return line.detail

    def url(self) -> str:
        arn = ops_secrets.list_secrets(self.secrets.api, {})["SecretList"][0]["ARN"]
        value = ops_values.get_secret_value(self.secrets.api, {"SecretId": arn})
        return str(json.loads(value["SecretString"])["url"])

    def versions(self) -> int:
        arn = ops_secrets.list_secrets(self.secrets.api, {})["SecretList"][0]["ARN"]
        return len(
            ops_secrets.list_secret_version_ids(self.secrets.api, {"SecretId": arn})["Versions"]
        )

    def close(self) -> None:
        self.postgres.close()
        self.secrets.close()


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory outside pytest's basetemp. As root, pgserver runs PostgreSQL as the
    ``pgserver`` user and opens the path's parents to it; any other pytest session
    starting meanwhile makes ``/tmp/pytest-of-root`` private again (0700), which would
    pull the data directory from under a running server."""
    path = Path(tempfile.mkdtemp(prefix="serverlite-pg-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def template(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "postgres", tmp_path / "app")
    return tmp_path / "app" / "template.yaml"


@pytest.fixture
def cloud(workdir: Path) -> Iterator[Cloud]:
    cloud = Cloud(workdir / "state")
    yield cloud
    cloud.close()


def applied(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    return [row[0] for row in rows]


def test_the_embedded_server_fills_the_secret_and_runs_the_migrations_once(
    template: Path, workdir: Path
) -> None:
    cloud = Cloud(workdir / "state")
    try:
        assert "2 migration(s) applied" in cloud.up(template)
        url = cloud.url()
        assert applied(url) == ["0001_items.sql", "0002_prices.sql"]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO items (name, price) VALUES ('lamp', 19.99)")
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute("INSERT INTO items (name, price) VALUES ('', 1)")
        assert (workdir / "state" / "postgres" / "Database" / "PG_VERSION").exists()
    finally:
        cloud.close()
    # A restart (another `up` on the same state): same data, nothing applied again,
    # and the secret gets no new version.
    again = Cloud(workdir / "state")
    try:
        versions = again.versions()
        assert "migrations up to date" in again.up(template)
        assert again.versions() == versions
        with psycopg.connect(again.url()) as conn:
            assert conn.execute("SELECT name FROM items").fetchall() == [("lamp",)]
    finally:
        again.close()


def test_a_new_migration_is_applied_and_a_changed_one_refused(cloud: Cloud, template: Path) -> None:
    cloud.up(template)
    migrations = template.parent / "migrations"
    (migrations / "0003_stock.sql").write_text("ALTER TABLE items ADD COLUMN stock int;\n")
    assert "1 migration(s) applied" in cloud.up(template)
    (migrations / "0001_items.sql").write_text("CREATE TABLE items (id int);\n")
    with pytest.raises(TemplateError, match="changed after it was applied"):
        cloud.up(template)


def test_a_failing_migration_leaves_nothing_half_done(cloud: Cloud, template: Path) -> None:
    cloud.up(template)
    (template.parent / "migrations" / "0003_bad.sql").write_text(
        "CREATE TABLE half (id int);\nSELECT * FROM no_such_table;\n"
    )
    with pytest.raises(TemplateError, match="migration failed"):
        cloud.up(template)
    url = cloud.url()
    assert applied(url) == ["0001_items.sql", "0002_prices.sql"]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)


def test_any_server_by_url(cloud: Cloud, template: Path, workdir: Path) -> None:
    other = EmbeddedServer(workdir / "elsewhere")  # stands for RDS, a container, ...
    other.start()
    try:
        given = other.url("postgres")
        detail = cloud.up(template, DatabaseUrl=given)
        assert "embedded" not in detail
        assert cloud.url() == given
        assert applied(given) == ["0001_items.sql", "0002_prices.sql"]
        assert not (workdir / "state" / "postgres").exists()
    finally:
        other.stop()


def test_close_stops_the_embedded_server_even_after_a_crash(template: Path, workdir: Path) -> None:
    handles = workdir / "state" / "postgres" / "Database" / ".handle_pids.json"
    cloud = Cloud(workdir / "state")
    cloud.up(template)
    url = cloud.url()
    cloud.close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    handles.write_text(json.dumps([2**22 + 12345]))  # a serverlite killed with -9
    cloud = Cloud(workdir / "state")
    cloud.up(template)
    cloud.close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("SecretId: !Ref DatabaseSecret", "SecretId: elsewhere"), "SecretId"),
        (("Database: !Ref DatabaseName", "Database: Bad-Name"), "Database"),
        (("Migrations: migrations", "Migrations: nowhere"), "no such .sql file"),
    ],
)
def test_declaration_errors(cloud: Cloud, template: Path, change: tuple[str, str], message: str):
    template.write_text(template.read_text().replace(*change))
    with pytest.raises(TemplateError, match=message):
        cloud.up(template)


def test_the_embedded_server_logs_no_row_values(workdir: Path) -> None:
    server = EmbeddedServer(workdir / "state" / "postgres" / "Quiet")
    server.start()
    try:
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE TABLE patients (mrn text PRIMARY KEY, name text NOT NULL)")
            conn.execute("INSERT INTO patients VALUES ('MRN-4242', 'Ada Lovelace')")
            with pytest.raises(psycopg.errors.UniqueViolation) as duplicate:
                conn.execute("INSERT INTO patients VALUES ('MRN-4242', 'Ada Again')")
            with pytest.raises(psycopg.errors.NotNullViolation):
                conn.execute("INSERT INTO patients VALUES ('MRN-7777', NULL)")
            with pytest.raises(psycopg.errors.InvalidTextRepresentation):
                conn.execute("SELECT 'Grace Hopper'::int")
    finally:
        server.stop()
    # The client still hears everything...
    assert "MRN-4242" in str(duplicate.value.diag.message_detail)
    # ...the log file under the state directory none of it.
    log = (workdir / "state" / "postgres" / "Quiet" / "log").read_text(errors="replace")
    for value in ("MRN-4242", "MRN-7777", "Ada", "Grace Hopper", "DETAIL", "STATEMENT"):
        assert value not in log, value


def test_a_reset_puts_back_the_rows_the_migrations_left(cloud: Cloud, template: Path) -> None:
    """A test's reset (the pytest plugin's): rows written since are gone, the migrations'
    own rows and sequence positions are back (an append-only TRUNCATE trigger does not
    stop it), and a function's open connection still works."""
    (template.parent / "migrations" / "0003_seed.sql").write_text(
        "INSERT INTO items (name, price) VALUES ('seeded', 1);\n"
        # an append-only guard, as services/patients puts on audit_events
        "CREATE FUNCTION no_truncate() RETURNS trigger LANGUAGE plpgsql AS\n"
        "$$ BEGIN RAISE EXCEPTION 'items is append-only'; END $$;\n"
        "CREATE TRIGGER items_no_truncate BEFORE TRUNCATE ON items\n"
        "FOR EACH STATEMENT EXECUTE FUNCTION no_truncate();\n"
    )
    cloud.up(template)
    cloud.postgres.template_provisioned()
    url = cloud.url()
    with psycopg.connect(url, autocommit=True) as warm:  # a function's, kept open
        warm.execute("INSERT INTO items (name) VALUES ('lamp'), ('desk')")
        warm.execute("UPDATE items SET price = 5 WHERE name = 'seeded'")
        cloud.postgres.reset()
        assert warm.execute("SELECT id, name, price FROM items").fetchall() == [(1, "seeded", 1)]
        (new_id,) = warm.execute("INSERT INTO items (name) VALUES ('x') RETURNING id").fetchone()
        assert new_id == 2  # the sequence is where the migrations left it
    assert applied(url) == ["0001_items.sql", "0002_prices.sql", "0003_seed.sql"]
