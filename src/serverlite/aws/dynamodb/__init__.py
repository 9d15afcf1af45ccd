"""DynamoDB, wire-compatible with botocore's ``DynamoDB_20120810`` JSON 1.0 protocol.

service.py      the backend: operation name -> handler, provisioning, TTL sweeper
errors.py       AWS-shaped errors (ValidationException, ...), made in one place
types.py        attribute values: validation, numbers, sort order, item size
encoding.py     sort-preserving bytes for key values (Query ranges are index seeks)
schema.py       table definitions (keys, indexes, billing, TTL, streams)
storage.py      SQLite: tables, items and index entries, one transaction per write
expressions/    tokenizer, parser, evaluator for every expression kind
requests.py     expression parameters of one request (names, values, usage)
capacity.py     consumed capacity per AWS's rounding rules
ops_*.py        the operations: tables, items, reads, batches, transactions
provision.py    tables declared in the template
"""
