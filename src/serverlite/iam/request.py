"""What one AWS call asks IAM for: an action on a resource, with the request's condition keys.

A service says, per operation, which requests a call makes (``aws/backend.py``:
``Operations.iam``); most calls make one, some make several that must all be allowed
(BatchGetItem reads each of its tables, TransactWriteItems puts, updates and deletes).
This module is a leaf: the service contract and the evaluator both import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ContextValue = str | tuple[str, ...]  # a multivalued key (dynamodb:LeadingKeys) is a tuple


@dataclass(frozen=True)
class IamRequest:
    action: str  # "dynamodb:GetItem": the service prefix and the action, as policies name it
    resource: str = "*"  # the ARN the action is on; "*" when the action takes no resource
    context: Mapping[str, ContextValue] = field(default_factory=dict)  # service condition keys
