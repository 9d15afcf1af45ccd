"""DynamoDB, wire-compatible with botocore's ``DynamoDB_20120810`` JSON 1.0 protocol.

service.py      the backend: operation name -> handler, provisioning, TTL sweeper
errors.py       AWS-shaped errors (ValidationException, ...), made in one place
types.py        attribute values: validation, numbers, sort order, item size
encoding.py     sort-preserving bytes for key values (Query ranges are index seeks)
schema.py       table definitions (keys, indexes, billing, TTL, streams)
table_input.py  CreateTable / UpdateTable input checked into table definitions
keys.py         keys checked against a table's schema, and encoded for storage
storage.py      SQLite: tables, items and index entries, one transaction per write
expressions/    tokenizer, parser, evaluator for every expression kind
key_condition.py  a Query's key condition, as index ranges
legacy.py       the pre-expression parameters (AttributesToGet, ...) as expressions
writes.py       one write to one item (Put, Update, Delete, ConditionCheck)
context.py      what every operation is given: store, clock, region, account
capacity.py     consumed capacity per AWS's rounding rules
ops_*.py        the operations: tables, items, reads, batches, transactions
provision.py    tables declared in the template
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import DynamoDB

    return DynamoDB(context)
