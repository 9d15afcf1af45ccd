"""A recursive-descent parser for DynamoDB's expression languages.

Grammar (keywords case-insensitive, function names not)::

    condition  := or
    or         := and (OR and)*
    and        := not (AND not)*
    not        := NOT not | primary
    primary    := '(' condition ')' | call | operand comparison
    comparison := ('=' | '<>' | '<' | '<=' | '>' | '>=') operand
                | BETWEEN operand AND operand | IN '(' operand (',' operand)* ')'
    call       := attribute_exists(path) | attribute_not_exists(path)
                | attribute_type(path, :t) | begins_with(path, op) | contains(path, op)
    operand    := path | :value | size(path)
    path       := (name | #name) ('.' (name | #name) | '[' integer ']')*

    update     := (SET set (',' set)* | REMOVE path (',' path)*
                 | ADD path :value (',' ...)* | DELETE path :value (',' ...)*)+
    set        := path '=' term (('+' | '-') term)?
    term       := path | :value | if_not_exists(path, term) | list_append(term, term)

    projection := path (',' path)*

Placeholders are resolved while parsing; a missing one is reported after the whole
expression parsed, since DynamoDB reports syntax errors first.
"""

from __future__ import annotations

from serverlite.aws.backend import AwsError

from ..errors import validation
from . import ast
from .placeholders import Placeholders
from .reserved import RESERVED_WORDS
from .tokens import (
    EOF,
    INTEGER,
    NAME,
    PLACEHOLDER_NAME,
    PLACEHOLDER_VALUE,
    SYMBOL,
    SyntaxProblem,
    Token,
    near,
    tokenize,
)
from .validate import (
    check_call,
    check_comparison,
    check_in,
    check_paths,
    check_update_action,
    check_value_function,
)

COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
CONDITION_FUNCTIONS = frozenset(
    {"attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains"}
)
VALUE_FUNCTIONS = frozenset({"size"})
UPDATE_FUNCTIONS = frozenset({"if_not_exists", "list_append"})
ALL_FUNCTIONS = CONDITION_FUNCTIONS | VALUE_FUNCTIONS | UPDATE_FUNCTIONS
CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")
# "The maximum length of any expression string is 4 KB" (UTF-8 bytes, as sent: names
# and values are not substituted first).
MAX_EXPRESSION_BYTES = 4096
# serverlite's own bound, not AWS's: parentheses, NOT and nested function calls deeper
# than this are refused rather than recursed into (AWS's 300-operator limit bounds them
# on AWS; a parser that recursed that deep would exhaust Python's stack).
MAX_NESTING = 100


class Parser:
    def __init__(self, source: str, kind: str, placeholders: Placeholders) -> None:
        self.source = source
        self.kind = kind  # "ConditionExpression", "UpdateExpression", ...
        self.placeholders = placeholders
        self.deferred: AwsError | None = None
        self.depth = 0
        size = len(source.encode("utf-8", "surrogatepass"))
        if size > MAX_EXPRESSION_BYTES:
            raise self.error(
                f"Expression size has exceeded the maximum allowed size; expression size: {size}"
            )
        if not source.strip():
            raise self.error("The expression can not be empty;")
        try:
            self.tokens = tokenize(source)
        except SyntaxProblem as problem:
            raise self.error(str(problem)) from None
        self.index = 0
        self.parenthesized: set[int] = set()  # ids of conditions written in parentheses

    # -- plumbing -------------------------------------------------------------------------

    def error(self, message: str) -> AwsError:
        return validation(f"Invalid {self.kind}: {message}")

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def unexpected(self) -> AwsError:
        token = self.peek
        return self.error(
            str(SyntaxProblem(token.text, near(self.source, self.tokens, self.index)))
        )

    def expect_symbol(self, symbol: str) -> Token:
        if not self.peek.is_symbol(symbol):
            raise self.unexpected()
        return self.next()

    def nested(self) -> _Nesting:
        """``with self.nested():`` around each recursive descent into a sub-expression."""
        return _Nesting(self)

    def defer(self, error: AwsError) -> None:
        if self.deferred is None:
            self.deferred = error

    def finish(self) -> None:
        if self.peek.kind != EOF:
            raise self.unexpected()
        if self.deferred is not None:
            raise self.deferred

    # -- paths and operands --------------------------------------------------------------

    def path_element(self) -> str:
        token = self.peek
        if token.kind == PLACEHOLDER_NAME:
            self.next()
            name = self.placeholders.name(token.text)
            if name is None:
                self.defer(
                    self.error(
                        "An expression attribute name used in the document path is not "
                        f"defined; attribute name: {token.text}"
                    )
                )
                return token.text
            return name
        if token.kind == NAME:
            self.next()
            if token.text.upper() in RESERVED_WORDS:
                raise self.error(
                    f"Attribute name is a reserved keyword; reserved keyword: {token.text}"
                )
            return token.text
        raise self.unexpected()

    def path(self) -> ast.Path:
        elements: list[ast.PathElement] = [self.path_element()]
        while True:
            if self.peek.is_symbol("."):
                self.next()
                elements.append(self.path_element())
            elif self.peek.is_symbol("["):
                self.next()
                if self.peek.kind != INTEGER:
                    raise self.unexpected()
                elements.append(int(self.next().text))
                self.expect_symbol("]")
            else:
                return ast.Path(tuple(elements))

    def value(self) -> ast.Value:
        token = self.next()
        value = self.placeholders.value(token.text)
        if value is None:
            self.defer(
                self.error(
                    "An expression attribute value used in expression is not defined; "
                    f"attribute value: {token.text}"
                )
            )
            value = {"NULL": True}
        return ast.Value(token.text, value)

    def is_call(self) -> bool:
        return self.peek.kind == NAME and self.tokens[self.index + 1].is_symbol("(")

    def arguments(self, term: bool) -> tuple[ast.Operand, ...]:
        self.expect_symbol("(")
        with self.nested():
            args = [self.term() if term else self.operand()]
            while self.peek.is_symbol(","):
                self.next()
                args.append(self.term() if term else self.operand())
        self.expect_symbol(")")
        return tuple(args)

    def function_name(self, allowed: frozenset[str]) -> str:
        name = self.peek.text
        if name not in ALL_FUNCTIONS:
            raise self.error(f"Invalid function name; function: {name}")
        if name not in allowed:
            raise self.error(
                f"The function is not allowed to be used this way in an expression; "
                f"function: {name}"
            )
        self.next()
        return name

    def operand(self) -> ast.Operand:
        """An operand of a condition: path, value or size(path)."""
        token = self.peek
        if token.kind == PLACEHOLDER_VALUE:
            return self.value()
        if self.is_call():
            name = self.function_name(VALUE_FUNCTIONS)
            function = ast.Function(name, self.arguments(term=False))
            check_value_function(self, function)
            return function
        if token.kind in (NAME, PLACEHOLDER_NAME):
            return self.path()
        raise self.unexpected()

    # -- conditions ----------------------------------------------------------------------

    def condition(self) -> ast.Condition:
        left = self.conjunction()
        while self.peek.is_keyword("OR"):
            self.next()
            left = ast.Or(left, self.conjunction())
        return left

    def conjunction(self) -> ast.Condition:
        left = self.negation()
        while self.peek.is_keyword("AND"):
            self.next()
            left = ast.And(left, self.negation())
        return left

    def negation(self) -> ast.Condition:
        if self.peek.is_keyword("NOT"):
            self.next()
            with self.nested():
                return ast.Not(self.negation())
        return self.primary()

    def primary(self) -> ast.Condition:
        if self.peek.is_symbol("("):
            self.next()
            with self.nested():
                inner = self.condition()
            self.expect_symbol(")")
            if id(inner) in self.parenthesized:
                # AWS rejects "((a = :v))".
                raise self.error("The expression has redundant parentheses;")
            self.parenthesized.add(id(inner))
            return inner
        if self.is_call() and self.peek.text in CONDITION_FUNCTIONS:
            name = self.function_name(CONDITION_FUNCTIONS)
            call = ast.Call(name, self.arguments(term=False))
            check_call(self, call)
            return call
        left = self.operand()
        token = self.peek
        if token.kind == SYMBOL and token.text in COMPARATORS:
            self.next()
            compare = ast.Compare(token.text, left, self.operand())
            check_comparison(self, compare)
            return compare
        if token.is_keyword("BETWEEN"):
            self.next()
            low = self.operand()
            if not self.peek.is_keyword("AND"):
                raise self.unexpected()
            self.next()
            between = ast.Between(left, low, self.operand())
            check_comparison(self, between)
            return between
        if token.is_keyword("IN"):
            self.next()
            node = ast.In(left, self.arguments(term=False))
            check_in(self, node)
            return node
        raise self.unexpected()

    # -- updates -------------------------------------------------------------------------

    def term(self) -> ast.Operand:
        token = self.peek
        if token.kind == PLACEHOLDER_VALUE:
            return self.value()
        if self.is_call():
            name = self.function_name(UPDATE_FUNCTIONS)
            function = ast.Function(name, self.arguments(term=True))
            check_value_function(self, function)
            return function
        if token.kind in (NAME, PLACEHOLDER_NAME):
            return self.path()
        raise self.unexpected()

    def set_value(self) -> ast.Operand:
        left = self.term()
        if self.peek.is_symbol("+") or self.peek.is_symbol("-"):
            op = self.next().text
            return ast.Arithmetic(op, left, self.term())
        return left

    def action(self, clause: str) -> ast.Action:
        path = self.path()
        action: ast.Action
        if clause == "SET":
            self.expect_symbol("=")
            action = ast.SetAction(path, self.set_value())
        elif clause == "REMOVE":
            action = ast.RemoveAction(path)
        else:
            if self.peek.kind != PLACEHOLDER_VALUE:
                raise self.unexpected()
            value = self.value()
            action = (
                ast.AddAction(path, value) if clause == "ADD" else ast.DeleteAction(path, value)
            )
        check_update_action(self, action)
        return action

    def update(self) -> ast.Update:
        seen: set[str] = set()
        actions: list[ast.Action] = []
        while self.peek.kind != EOF:
            token = self.peek
            clause = token.text.upper() if token.kind == NAME else ""
            if clause not in CLAUSES:
                raise self.unexpected()
            if clause in seen:
                raise self.error(
                    f'The "{clause}" section can only be used once in an update expression;'
                )
            seen.add(clause)
            self.next()
            actions.append(self.action(clause))
            while self.peek.is_symbol(","):
                self.next()
                actions.append(self.action(clause))
        if not actions:
            raise self.unexpected()
        return ast.Update(tuple(actions))


class _Nesting:
    def __init__(self, parser: Parser) -> None:
        self.parser = parser

    def __enter__(self) -> None:
        self.parser.depth += 1
        if self.parser.depth > MAX_NESTING:
            raise self.parser.error(
                f"The expression nests more than {MAX_NESTING} levels (serverlite's limit);"
            )

    def __exit__(self, *_: object) -> None:
        self.parser.depth -= 1


# -- entry points ------------------------------------------------------------------------


def parse_condition(source: str, kind: str, placeholders: Placeholders) -> ast.Condition:
    parser = Parser(source, kind, placeholders)
    condition = parser.condition()
    parser.finish()
    return condition


def parse_update(source: str, placeholders: Placeholders) -> ast.Update:
    parser = Parser(source, "UpdateExpression", placeholders)
    update = parser.update()
    parser.finish()
    check_paths(parser, [action.path for action in update.actions])
    return update


def parse_projection(source: str, placeholders: Placeholders) -> tuple[ast.Path, ...]:
    parser = Parser(source, "ProjectionExpression", placeholders)
    paths = [parser.path()]
    while parser.peek.is_symbol(","):
        parser.next()
        paths.append(parser.path())
    parser.finish()
    check_paths(parser, paths)
    return tuple(paths)
