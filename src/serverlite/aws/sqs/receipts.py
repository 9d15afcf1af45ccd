"""Receipt handles: which receive of which message a delete or visibility change means.

A handle names the queue, the message (its row) and the receive (a random token
each receive draws). Only the latest receive's handle deletes the message; an older
one is accepted and does nothing, as AWS documents ("the request succeeds, but the
message might not be deleted"). Text that is not a handle is ReceiptHandleIsInvalid.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from serverlite import ids

from . import errors

_PREFIX = "AQEB"  # AWS's handles start so; it also keeps ours recognisable


@dataclass(frozen=True)
class Receipt:
    queue_id: int
    seq: int
    token: str

    def encode(self) -> str:
        raw = f"{self.queue_id}:{self.seq}:{self.token}".encode()
        return _PREFIX + base64.urlsafe_b64encode(raw).decode()


def new_token() -> str:
    return ids.hex_token(16)


def decode(handle: str) -> Receipt:
    if not isinstance(handle, str) or not handle.startswith(_PREFIX):
        raise errors.receipt_handle_invalid(str(handle))
    try:
        queue_id, seq, token = base64.urlsafe_b64decode(handle[len(_PREFIX) :]).decode().split(":")
        return Receipt(int(queue_id), int(seq), token)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise errors.receipt_handle_invalid(handle) from exc
