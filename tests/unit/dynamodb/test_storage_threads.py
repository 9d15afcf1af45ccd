"""Storage.transaction from two threads on its one connection: each waits its turn."""

from __future__ import annotations

import threading
from pathlib import Path

from serverlite.aws.dynamodb.storage import Storage


def test_transactions_from_two_threads_take_turns() -> None:
    storage = Storage(Path(":memory:"))
    inside = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def hold() -> None:
        with storage.transaction():
            inside.set()
            release.wait(5)

    def second() -> None:
        try:
            with storage.transaction():
                pass
        except BaseException as exc:  # before: "cannot start a transaction within a transaction"
            errors.append(exc)

    first = threading.Thread(target=hold)
    first.start()
    assert inside.wait(5)
    other = threading.Thread(target=second)
    other.start()
    other.join(0.2)
    assert other.is_alive()  # waiting for the first transaction, not failing
    release.set()
    first.join(5)
    other.join(5)
    assert errors == []
    storage.close()
