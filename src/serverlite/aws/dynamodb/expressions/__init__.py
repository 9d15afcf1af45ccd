"""DynamoDB's expression languages: condition, key condition, filter, projection, update.

tokens.py        the tokenizer
parser.py        one recursive-descent parser for every kind
validate.py      static checks (function arguments, literal types, path overlaps)
placeholders.py  ExpressionAttributeNames / Values and which were used
evaluate.py      conditions against an item
update.py        update actions applied to an item
projection.py    projections of an item
reserved.py      DynamoDB's reserved words
"""

from .ast import Condition, Path, Update
from .evaluate import evaluate, get_path
from .parser import parse_condition, parse_projection, parse_update
from .placeholders import Placeholders
from .projection import project
from .update import apply

__all__ = [
    "Condition",
    "Path",
    "Placeholders",
    "Update",
    "apply",
    "evaluate",
    "get_path",
    "parse_condition",
    "parse_projection",
    "parse_update",
    "project",
]
