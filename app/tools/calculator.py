"""Arithmetic for the `calculator` tool, without `eval`.

The expression is parsed with `ast` and walked: only numbers, `+ - * / // % **`, unary
signs, parentheses and a few functions from `math` are accepted. Anything that could hang
or eat memory is refused with a clear error instead: very long or deeply nested input,
powers and products whose result would have thousands of digits, factorials of large
numbers. The operators are Python's own, so a result is exactly what Python would give.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

Number = int | float

MAX_LENGTH = 1000
"""Longest expression accepted, in characters."""
MAX_DEPTH = 60
"""Deepest nesting of operations accepted."""
MAX_DIGITS = 4000
"""Largest integer result, in decimal digits (Python prints at most 4300 by default)."""
MAX_BITS = int(MAX_DIGITS * math.log2(10))
MAX_FACTORIAL = 1000
"""Largest argument of `factorial`."""


class CalculatorError(ValueError):
    """The expression is not plain arithmetic, or cannot be computed; the text says why."""


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def _factorial(n: Number) -> int:
    if isinstance(n, float):
        if not n.is_integer():
            raise CalculatorError("factorial() needs a whole number")
        n = int(n)
    if n > MAX_FACTORIAL:
        raise CalculatorError(f"factorial() of more than {MAX_FACTORIAL} is refused (too large)")
    return math.factorial(n)


def _round(x: Number, digits: Number | None = None) -> Number:
    if digits is None:
        return round(x)
    if not isinstance(digits, int) or abs(digits) > 100:
        raise CalculatorError("round() takes a whole number of digits between -100 and 100")
    return round(x, digits)


_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "hypot": math.hypot,
    "floor": math.floor,
    "ceil": math.ceil,
    "factorial": _factorial,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}

FUNCTION_NAMES = tuple(_FUNCTIONS)
"""Functions the calculator knows (for the tool's description)."""


def _depth(tree: ast.AST) -> int:
    """How deeply the expression nests (iteratively: a deep tree must not recurse here)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _too_big(value: Number) -> bool:
    return isinstance(value, int) and value.bit_length() > MAX_BITS


def _check_power(base: Number, exponent: Number) -> None:
    """Refuse a power whose result would be enormous, before computing it."""
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and abs(base) > 1
        and exponent * math.log2(abs(base)) > MAX_BITS
    ):
        raise CalculatorError(
            f"the result would have more than {MAX_DIGITS:,} digits (refused: too large)"
        )


def _real(value: Any) -> Number:
    """A real number of bounded size, or an error saying what it is instead.

    Like Python's own float arithmetic, a step may overflow to infinity (`1e308 * 10`);
    only the final result must be finite (see `evaluate`).
    """
    if isinstance(value, complex):
        raise CalculatorError("the result is not a real number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalculatorError("the result is not a number")
    if _too_big(value):
        raise CalculatorError(f"the result has more than {MAX_DIGITS:,} digits (too large)")
    return value


def _evaluate(node: ast.AST) -> Number:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CalculatorError(f"{value!r} is not a number")
        return _real(value)
    if isinstance(node, ast.BinOp):
        operation = _BINARY.get(type(node.op))
        if operation is None:
            hint = " (use ** for powers)" if isinstance(node.op, ast.BitXor) else ""
            raise CalculatorError(f"the operator is not supported{hint}")
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        return _real(operation(left, right))
    if isinstance(node, ast.UnaryOp):
        unary = _UNARY.get(type(node.op))
        if unary is None:
            raise CalculatorError("only + and - may stand before a number")
        return _real(unary(_evaluate(node.operand)))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise CalculatorError(f"unknown name {node.id!r}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "that"
            raise CalculatorError(f"unknown function {name!r}; known: {', '.join(FUNCTION_NAMES)}")
        if node.keywords:
            raise CalculatorError("functions take positional arguments only")
        arguments = [_evaluate(argument) for argument in node.args]
        try:
            return _real(_FUNCTIONS[node.func.id](*arguments))
        except TypeError as exc:
            raise CalculatorError(f"{node.func.id}(): {exc}") from None
    raise CalculatorError("only numbers, + - * / // % **, parentheses and math functions")


def evaluate(expression: str) -> Number:
    """The value of an arithmetic expression.

    Raises:
        CalculatorError: not plain arithmetic, too long or deep, too large a result,
            division by zero, a math domain error, ...; the text says which.
    """
    if len(expression) > MAX_LENGTH:
        raise CalculatorError(f"the expression is longer than {MAX_LENGTH} characters")
    if not expression.strip():
        raise CalculatorError("the expression is empty")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise CalculatorError(f"not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise CalculatorError("the expression is nested too deeply") from None
    if _depth(tree) > MAX_DEPTH:
        raise CalculatorError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    try:
        value = _evaluate(tree)
    except ZeroDivisionError:
        raise CalculatorError("division by zero") from None
    except OverflowError:
        raise CalculatorError("the result is too large") from None
    except ValueError as exc:  # math domain errors; CalculatorError is one too
        if isinstance(exc, CalculatorError):
            raise
        raise CalculatorError(f"math error: {exc}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("the result is too large (or not a number)")
    return value


def format_number(value: Number) -> str:
    """A result as the model should read it (Python's own notation)."""
    return repr(value)
