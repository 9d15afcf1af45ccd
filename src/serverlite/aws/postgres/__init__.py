"""PostgreSQL for templates: ``Custom::ServerlitePostgres`` resources.

A template declares the database its functions use as a custom resource next to the
secret that holds its connection::

    DatabaseSecret:
      Type: AWS::SecretsManager::Secret
      Properties:
        SecretString: !Sub '{"url": "${DatabaseUrl}"}'   # empty: the embedded server
    Database:
      Type: Custom::ServerlitePostgres
      Properties:
        ServiceToken: !GetAtt MigrateDatabase.Arn         # what AWS runs (ignored here)
        SecretId: !Ref DatabaseSecret
        Database: patients
        Migrations: [migrations/0001_schema.sql]          # or a directory of *.sql

On ``up`` (and ``invoke``) serverlite makes it real: when the secret's declared value
names a server (``{"url": ...}`` or ``host``/``port``/``username``/``password``/``dbname``),
that server is used; otherwise an embedded PostgreSQL (the ``pgserver`` package) runs
under ``<state dir>/postgres/<stack>-<logical id>`` until serverlite stops, and its URL
is put into the secret. Then the migrations not applied yet run, once each, in file
order, each in its own transaction, recorded in the ``schema_migrations`` table.
On AWS the same template points the secret at RDS and the ServiceToken function
applies the same files at deploy time.

    declarations  what the template declares, checked
    embedded      the embedded server (start, URL, stop)
    migrations    applying SQL files once, tracked in a table
    service       the backend: provisioning and shutdown
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import PostgresService

    return PostgresService(context)
