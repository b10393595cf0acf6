"""Arithmetic expressions typed by a user, turned into engine operations (never into Python).

    evaluate("tanh(x * w + b) ** 2", {"x": 1.5, "w": -2.0, "b": 0.5})  ->  a Value

The text is read by a small recursive-descent parser; nothing in it is ever passed to eval() or
exec(), so a string from a user cannot run code. Grammar (the usual precedence, `**` binds
tighter than a unary minus and associates to the right, as in Python):

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom ("**" unary)?
    atom   := NUMBER | NAME | FUNCTION "(" expr ")" | "(" expr ")"

A sub-expression made only of numbers is computed at once (2 * 3 becomes 6), by the engine's
own operations and so under its rules (overflow is an error, as 1e309 is), and a number
exponent stays a number, so `x ** 2` is one node x^2 (op '**n', with n = 2 as its parameter).
Every problem, a number too large for a float included, is an ExpressionError naming the
column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping

from .grad_mode import no_grad
from .ops import OPS, Op
from .value import Constant, Number, Value, as_value


def functions() -> dict[str, Op]:
    """{name: op} for the registry's ops that an expression calls by name: 'tanh(x)'. Read
    from the registry at every call, so an op defined with define_op(..., parse=...) is
    included."""
    return {op.parse: op for op in OPS.values() if op.parse and not op.infix}


def operators() -> dict[str, Op]:
    """{symbol: op} for the registry's binary operators: + - * / **."""
    return {op.parse: op for op in OPS.values() if op.parse and op.infix}


MAX_DEPTH = 50  # nested parentheses/unary operators (each costs ~5 frames): not a RecursionError
MAX_LENGTH = 10_000  # characters: far beyond what a picture can show (draw stops at 500 nodes)
_EXACT_INT = 2**53  # integers up to here are exact as floats, and shown as integers

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>\*\*|[-+*/()]))"
)


class ExpressionError(ValueError):
    """An expression that cannot be read, with the position of the offending part. `name` is
    the unknown variable's name where that is the problem (else None)."""

    def __init__(self, message: str, text: str, position: int, name: str | None = None) -> None:
        self.text, self.position, self.name = text, position, name
        start = max(0, position - 30)
        excerpt = ("..." if start else "") + text[start : position + 30]
        excerpt += "..." if position + 30 < len(text) else ""
        super().__init__(f"{message} at column {position + 1}: {excerpt!r}")


def evaluate(text: str, variables: Mapping[str, Number]) -> Value:
    """The Value of the expression `text`, with each name in `variables` (name -> number or
    Value) a leaf Value labelled with its name. Raises ExpressionError for anything that is not
    a well-formed expression over those names, the functions() and numbers."""
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long, more than the limit of "
            f"{MAX_LENGTH:,}; write a shorter one",
            text[:60],
            0,
        )
    leaves, known = {}, functions()
    for name, number in variables.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", name) or name in known:
            raise ValueError(f"{name!r} cannot be a variable name")
        leaves[name] = number if isinstance(number, Value) else Value(number, label=name)
    parser = _Parser(text, leaves)
    result = parser.expr(0)
    if parser.peek() is not None:
        parser.fail(f"unexpected {parser.peek()[1]!r}")
    if not isinstance(result, Value):  # a constant expression: still a Value, so it can be drawn
        result = Value(result)
    return result


def names(text: str) -> list[str]:
    """The variable names an expression uses, in order of first appearance."""
    found, known = [], functions()
    for kind, token, _ in _tokens(text):
        if kind == "name" and token not in known and token not in found:
            found.append(token)
    return found


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, position) for each token; an ExpressionError at the first unreadable char."""
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            start = len(text) - len(text[position:].lstrip())
            hint = "; use ** for powers" if text[start] == "^" else ""
            raise ExpressionError(f"unexpected character {text[start]!r}{hint}", text, start)
        kind: str = match.lastgroup  # type: ignore[assignment]  # (each alternative is a group)
        yield kind, match.group(kind), match.start(kind)
        position = match.end()


class _Parser:
    """Recursive descent over the token list; each method returns a Value or a plain number."""

    def __init__(self, text, leaves):
        self.functions, self.operators = functions(), operators()
        self.text, self.leaves = text, leaves
        self.tokens = list(_tokens(text))
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.i += 1
        return token

    def fail(self, message):
        token = self.peek()
        position = token[2] if token else len(self.text)
        raise ExpressionError(message, self.text, position)

    def expect(self, op):
        token = self.peek()
        if token is None or token[1] != op:
            self.fail(f"expected {op!r}" + ("" if token is None else f", found {token[1]!r}"))
        self.take()

    def expr(self, depth):
        left = self.term(depth)
        while self.peek() and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = self.term(depth)
            left = self.apply(op, left, right)
        return left

    def term(self, depth):
        left = self.unary(depth)
        while self.peek() and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            right = self.unary(depth)
            left = self.apply(op, left, right)
        return left

    def unary(self, depth):
        if depth > MAX_DEPTH:
            self.fail(f"the expression nests deeper than {MAX_DEPTH} levels")
        token = self.peek()
        if token and token[1] in ("-", "+"):
            self.take()
            operand = self.unary(depth + 1)
            return -operand if token[1] == "-" else operand
        return self.power(depth)

    def power(self, depth):
        base = self.atom(depth)
        if self.peek() and self.peek()[1] == "**":
            self.take()
            exponent = self.unary(depth + 1)
            return self.apply("**", base, exponent)
        return base

    def atom(self, depth):
        token = self.peek()
        if token is None:
            self.fail("the expression ends too early")
        kind, text, position = token
        if kind == "number":
            self.take()
            number = float(text)
            if math.isinf(number):
                self.i -= 1
                self.fail(f"the number {_short(text)} is too large for a float (overflow)")
            if text.isdigit() and abs(number) <= _EXACT_INT:
                return int(number)  # (int(text) would refuse more than 4,300 digits)
            return number
        if kind == "name":
            self.take()
            if text in self.functions:
                self.expect("(")
                argument = self.expr(depth + 1)
                self.expect(")")
                return self.call(self.functions[text], text, argument, position)
            if text not in self.leaves:
                raise ExpressionError(
                    f"unknown name {text!r}: give it a value", self.text, position, name=text
                )
            return self.leaves[text]
        if text == "(":
            self.take()
            inner = self.expr(depth + 1)
            self.expect(")")
            return inner
        self.fail(f"unexpected {text!r}")

    def apply(self, op, left, right):
        """left op right, with the engine's operations; two numbers give a number."""
        position = self.tokens[self.i - 1][2] if self.i else 0
        folded = not isinstance(left, Value) and not isinstance(right, Value)
        try:
            if folded:  # the engine's rules (overflow, division by zero), without a node
                with no_grad():
                    number = self.operators[op](Constant(left), Constant(right)).data
                if type(left) is int and type(right) is int and op in "+-*":
                    if abs(number) <= _EXACT_INT:
                        return int(number)
                return number
            if op == "**" and not isinstance(right, Value) and float(right).is_integer():
                right = int(right) if abs(right) <= _EXACT_INT else right  # x ** 2, not x ** 2.0
            return self.operators[op](as_value(left), right)  # 2 * x: a Constant 2
        except (ArithmeticError, ValueError) as error:
            raise ExpressionError(str(error), self.text, position) from None

    def call(self, function, name, argument, position):
        try:
            if not isinstance(argument, Value):
                argument = Value(argument)
            return function(argument)
        except (ArithmeticError, ValueError) as error:
            raise ExpressionError(f"{name}: {error}", self.text, position) from None


def _short(text):
    """A number's text, shortened for a message: a 5,000-digit literal shows its length."""
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text):,} characters)"
