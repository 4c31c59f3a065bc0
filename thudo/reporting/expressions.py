"""Expressions of indicators and validation rules over data elements.

The syntax is DHIS2's: ``#{CODE}`` is a data element's total, ``#{CODE.OPTION}`` one
disaggregation (the option codes of its categories joined by ``_``), with numbers,
``+ - * /`` and parentheses: ``#{DN_MOI} * 100 / #{DN_HOATDONG}``.

Written here rather than taken from a library: the grammar is four operators over
references, and evaluation must be safe against hostile input (metadata is imported
from files). Python's own parser builds the tree; only numbers, references and the four
operators are accepted, so nothing is ever executed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation

_REF = re.compile(r"#\{\s*([A-Za-z0-9_\-]+)(?:\.([A-Za-z0-9_\-]+))?\s*\}")
_MAX_LENGTH = 2000


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class Reference:
    element: str
    option: str = ""  # "" = the total over disaggregations

    def __str__(self) -> str:
        return f"#{{{self.element}.{self.option}}}" if self.option else f"#{{{self.element}}}"


Lookup = Callable[[Reference], "Decimal | None"]


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    references: tuple[Reference, ...]

    def evaluate(self, lookup: Lookup) -> Decimal | None:
        """The value, or None when every referenced value is missing or on division by
        zero. A missing value among present ones counts as zero."""
        values = {ref: lookup(ref) for ref in self.references}
        if self.references and all(v is None for v in values.values()):
            return None
        try:
            return _eval(self.tree, [values[r] or Decimal(0) for r in self.references])
        except (DivisionByZero, InvalidOperation, ZeroDivisionError):
            return None


def parse(source: str) -> Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("empty expression")
    if len(source) > _MAX_LENGTH:
        raise ExpressionError("expression too long")
    references: list[Reference] = []

    def placeholder(match: re.Match[str]) -> str:
        ref = Reference(match[1], match[2] or "")
        if ref not in references:
            references.append(ref)
        return f" _r{references.index(ref)} "

    python = _REF.sub(placeholder, source)
    if "#" in python or "{" in python or "}" in python:
        raise ExpressionError(f"malformed reference in {source!r}")
    try:
        tree = ast.parse(python.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in {source!r}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if not re.fullmatch(r"_r\d+", node.id):
                raise ExpressionError(f"unknown name {node.id!r}")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError("only numbers may appear as constants")
        elif not isinstance(
            node,
            ast.BinOp
            | ast.UnaryOp
            | ast.Add
            | ast.Sub
            | ast.Mult
            | ast.Div
            | ast.USub
            | ast.UAdd
            | ast.Load,
        ):
            raise ExpressionError(f"not allowed in an expression: {type(node).__name__}")
    return Expression(source, tree, tuple(references))


def _eval(node: ast.expr, values: list[Decimal]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return values[int(node.id[2:])]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)
    left, right = _eval(node.left, values), _eval(node.right, values)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if right == 0:
        raise DivisionByZero
    return left / right


def references(source: str) -> tuple[Reference, ...]:
    return parse(source).references
