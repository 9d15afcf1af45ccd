"""Topics and subscriptions on SQLite: each call is one transaction, durable on return."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .db import Db
from .records import Subscription, Topic

# Messages no delivery needs any more.
ORPHANS = (
    "DELETE FROM messages WHERE NOT EXISTS"
    " (SELECT 1 FROM deliveries d WHERE d.message_id = messages.message_id)"
)
_TOPIC = "arn, name, attributes, tags"
_SUBSCRIPTION = (
    "arn, topic_arn, protocol, endpoint, confirmed, attributes, token, token_created, origin"
)


def _topic(row: Sequence[Any]) -> Topic:
    return Topic(row[0], row[1], json.loads(row[2]), json.loads(row[3]))


def _subscription(row: Sequence[Any]) -> Subscription:
    return Subscription(
        arn=row[0],
        topic_arn=row[1],
        protocol=row[2],
        endpoint=row[3],
        confirmed=bool(row[4]),
        attributes=json.loads(row[5]),
        token=row[6],
        token_created=row[7],
        origin=row[8],
    )


class TopicStore:
    def __init__(self, db: Db) -> None:
        self.db = db

    # -- topics --------------------------------------------------------------------

    def topic(self, arn: str) -> Topic | None:
        row = self.db.row(f"SELECT {_TOPIC} FROM topics WHERE arn = ?", (arn,))
        return None if row is None else _topic(row)

    def topics(self, after: str = "", limit: int = 100) -> list[Topic]:
        rows = self.db.rows(
            f"SELECT {_TOPIC} FROM topics WHERE arn > ? ORDER BY arn LIMIT ?", (after, limit)
        )
        return [_topic(row) for row in rows]

    def put_topic(self, topic: Topic, now: float) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO topics (arn, name, attributes, tags, created) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (arn) DO UPDATE SET attributes = excluded.attributes,"
                " tags = excluded.tags",
                (topic.arn, topic.name, json.dumps(topic.attributes), json.dumps(topic.tags), now),
            )

    def delete_topic(self, arn: str) -> None:
        """The topic, its subscriptions and everything still owed to them."""
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM deliveries WHERE subscription_arn IN"
                " (SELECT arn FROM subscriptions WHERE topic_arn = ?)",
                (arn,),
            )
            conn.execute("DELETE FROM subscriptions WHERE topic_arn = ?", (arn,))
            conn.execute("DELETE FROM messages WHERE topic_arn = ?", (arn,))
            conn.execute("DELETE FROM dedup WHERE topic_arn = ?", (arn,))
            conn.execute("DELETE FROM topics WHERE arn = ?", (arn,))

    def topic_fingerprint(self, arn: str) -> str | None:
        row = self.db.row("SELECT fingerprint FROM topics WHERE arn = ?", (arn,))
        return None if row is None else row[0]

    def set_topic_fingerprint(self, arn: str, fingerprint: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE topics SET fingerprint = ? WHERE arn = ?", (fingerprint, arn))

    def counts(self, topic_arn: str) -> tuple[int, int]:
        """(confirmed, pending) subscriptions of a topic."""
        row = self.db.row(
            "SELECT COALESCE(SUM(confirmed), 0), COALESCE(SUM(1 - confirmed), 0)"
            " FROM subscriptions WHERE topic_arn = ?",
            (topic_arn,),
        )
        return int(row[0]), int(row[1])

    # -- subscriptions -------------------------------------------------------------

    def subscription(self, arn: str) -> Subscription | None:
        row = self.db.row(f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE arn = ?", (arn,))
        return None if row is None else _subscription(row)

    def find_subscription(
        self, topic_arn: str, protocol: str, endpoint: str
    ) -> Subscription | None:
        row = self.db.row(
            f"SELECT {_SUBSCRIPTION} FROM subscriptions"
            " WHERE topic_arn = ? AND protocol = ? AND endpoint = ?",
            (topic_arn, protocol, endpoint),
        )
        return None if row is None else _subscription(row)

    def by_token(self, topic_arn: str, token: str) -> Subscription | None:
        row = self.db.row(
            f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE topic_arn = ? AND token = ?",
            (topic_arn, token),
        )
        return None if row is None else _subscription(row)

    def subscriptions(
        self, topic_arn: str | None = None, after: int = 0, limit: int = 100
    ) -> list[tuple[int, Subscription]]:
        """(position, subscription) in creation order, from ``after`` on."""
        where = "WHERE rowid > ?"
        args: list[object] = [after]
        if topic_arn is not None:
            where += " AND topic_arn = ?"
            args.append(topic_arn)
        rows = self.db.rows(
            f"SELECT rowid, {_SUBSCRIPTION} FROM subscriptions {where} ORDER BY rowid LIMIT ?",
            (*args, limit),
        )
        return [(int(row[0]), _subscription(row[1:])) for row in rows]

    def topic_subscriptions(self, topic_arn: str) -> list[Subscription]:
        rows = self.db.rows(
            f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE topic_arn = ? ORDER BY created",
            (topic_arn,),
        )
        return [_subscription(row) for row in rows]

    def template_subscriptions(self) -> list[Subscription]:
        rows = self.db.rows(f"SELECT {_SUBSCRIPTION} FROM subscriptions WHERE origin = 'template'")
        return [_subscription(row) for row in rows]

    def put_subscription(
        self, sub: Subscription, now: float, fingerprint: str | None = None
    ) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO subscriptions (arn, topic_arn, protocol, endpoint, confirmed,"
                " attributes, token, token_created, origin, fingerprint, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET"
                " confirmed = excluded.confirmed, attributes = excluded.attributes,"
                " token = excluded.token, token_created = excluded.token_created,"
                " endpoint = excluded.endpoint, protocol = excluded.protocol,"
                " fingerprint = COALESCE(excluded.fingerprint, fingerprint)",
                (
                    sub.arn,
                    sub.topic_arn,
                    sub.protocol,
                    sub.endpoint,
                    int(sub.confirmed),
                    json.dumps(sub.attributes),
                    sub.token,
                    sub.token_created,
                    sub.origin,
                    fingerprint,
                    now,
                ),
            )

    def set_subscription_attributes(self, arn: str, attributes: Mapping[str, str]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE subscriptions SET attributes = ? WHERE arn = ?",
                (json.dumps(dict(attributes)), arn),
            )

    def delete_subscription(self, arn: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "DELETE FROM deliveries WHERE subscription_arn = ? AND kind = 'notification'",
                (arn,),
            )
            conn.execute("DELETE FROM subscriptions WHERE arn = ?", (arn,))
            conn.execute(ORPHANS)

    def subscription_fingerprint(self, arn: str) -> str | None:
        row = self.db.row("SELECT fingerprint FROM subscriptions WHERE arn = ?", (arn,))
        return None if row is None else row[0]
