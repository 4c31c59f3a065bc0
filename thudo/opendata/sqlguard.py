"""The read-only subset of SQL that ``datastore_search_sql`` accepts.

CKAN lets anyone send ``SELECT * FROM "<resource id>" WHERE ...``. Here the query is
parsed with sqlglot and accepted only if it is one SELECT (or UNION, INTERSECT, EXCEPT,
with CTEs and sub-selects) over public datastore tables, built from an allow-list of
expression kinds and functions. Anything sqlglot parses into a kind not on the list is
refused, so a construct nobody thought of is refused rather than passed through.

The query that runs is not the text the caller sent but sqlglot's rendering of the
checked tree: every table reference rewritten to its real name, every CTE renamed, every
identifier quoted and no comments. What the database executes is therefore what was
checked, whatever tricks the original text played with comments, case or keywords
(``user`` and ``current_role`` are functions in PostgreSQL when unquoted). The rendering
is parsed and checked once more before it is returned.

The rendering writes string literals in the standard form (a backslash is an ordinary
character), which PostgreSQL reads that way with ``standard_conforming_strings = on``,
the default since 9.1. The time limit and the read-only transaction are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError
from sqlglot.tokens import Token, TokenType

DIALECTS = ("postgres", "sqlite")
_DIALECT_NAMES = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


class SqlRejected(Exception):
    """The query is not one this service runs; ``code`` says which rule it broke."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CheckedSql:
    sql: str
    tables: tuple[str, ...]


# Exact classes, not isinstance: sqlglot subclasses allowed kinds (TryCast of Cast,
# ObjectIdentifier of DataType for ::regclass), and a subclass is a different construct.
_STRUCTURE: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Select,
        exp.Union,
        exp.Intersect,
        exp.Except,
        exp.Subquery,
        exp.From,
        exp.Join,
        exp.Where,
        exp.Group,
        exp.Having,
        exp.Order,
        exp.Ordered,
        exp.Limit,
        exp.Offset,
        exp.Fetch,
        exp.LimitOptions,
        exp.Distinct,
        exp.With,
        exp.CTE,
        exp.Table,
        exp.TableAlias,
        exp.Alias,
        exp.Column,
        exp.Identifier,
        exp.Star,
        exp.Literal,
        exp.Null,
        exp.Boolean,
        exp.Paren,
        exp.Tuple,
        exp.DataType,
        exp.DataTypeParam,
        exp.Interval,
        exp.Window,
        exp.WindowSpec,
        exp.Filter,
        exp.Var,
    }
)
_OPERATORS: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.EQ,
        exp.NEQ,
        exp.GT,
        exp.GTE,
        exp.LT,
        exp.LTE,
        exp.NullSafeEQ,
        exp.NullSafeNEQ,
        exp.And,
        exp.Or,
        exp.Not,
        exp.Is,
        exp.In,
        exp.Between,
        exp.Like,
        exp.ILike,
        exp.Escape,
        exp.Exists,
        exp.Any,
        exp.All,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.Mod,
        exp.Pow,
        exp.Neg,
        exp.DPipe,
        exp.Collate,
        exp.Case,
        exp.If,
        exp.Cast,
    }
)
# The functions sqlglot knows by class. Several names parse into one class (substr and
# substring, ceil and ceiling, ifnull and coalesce, to_char and strftime), all harmless.
_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        exp.Count,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Stddev,
        exp.StddevSamp,
        exp.StddevPop,
        exp.Variance,
        exp.VariancePop,
        exp.GroupConcat,
        exp.ArrayAgg,
        exp.Lower,
        exp.Upper,
        exp.Length,
        exp.Substring,
        exp.Trim,
        exp.Replace,
        exp.Concat,
        exp.Coalesce,
        exp.Nullif,
        exp.Abs,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.Extract,
        exp.TimestampTrunc,
        exp.DateTrunc,
        exp.TimeToStr,
        exp.TsOrDsToTimestamp,
        exp.Date,
        exp.Greatest,
        exp.Least,
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
    }
)
_ALLOWED = _STRUCTURE | _OPERATORS | _FUNCTIONS
# Functions sqlglot has no class for in one dialect or the other. datetime() is what
# sqlglot writes for a cast to timestamp in SQLite.
_ANONYMOUS = frozenset(
    {
        "strftime",
        "date",
        "datetime",
        "substr",
        "ltrim",
        "rtrim",
        "group_concat",
        "string_agg",
        "ceiling",
    }
)
# Casting a string to regclass, regproc or oid looks up the catalogue, so only value
# types are allowed.
_CAST_TYPES = frozenset(
    {
        exp.DataType.Type.TINYINT,
        exp.DataType.Type.SMALLINT,
        exp.DataType.Type.INT,
        exp.DataType.Type.BIGINT,
        exp.DataType.Type.DECIMAL,
        exp.DataType.Type.FLOAT,
        exp.DataType.Type.DOUBLE,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.CHAR,
        exp.DataType.Type.NVARCHAR,
        exp.DataType.Type.NCHAR,
        exp.DataType.Type.DATE,
        exp.DataType.Type.TIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.INTERVAL,
        exp.DataType.Type.BOOLEAN,
    }
)
# A Var is a bare keyword rendered verbatim; it belongs only where a unit is named.
_VAR_PARENTS = frozenset({exp.Extract, exp.Interval, exp.TimestampTrunc, exp.DateTrunc})
_WRITES: tuple[type[exp.Expr], ...] = (
    exp.DML,
    exp.DDL,
    exp.Command,
    exp.Set,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Grant,
    exp.Revoke,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Analyze,
    exp.Kill,
    exp.Show,
    exp.Returning,
)
_QUERIES: tuple[type[exp.Expr], ...] = (exp.Select, exp.SetOperation, exp.Subquery)
_FIRST_TOKENS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN})
_NAME_CHARS = 60


def check(
    sql: str, *, known: Callable[[str], str | None], dialect: str, max_length: int = 10_000
) -> CheckedSql:
    """The query rewritten to run on ``dialect``, or SqlRejected.

    ``known(resource_id)`` gets a lower-case resource id and returns the real name of
    its public datastore table, or None; any other table is refused.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
    if not sql.strip():
        raise SqlRejected(_("Câu truy vấn SQL trống."), code="syntax")
    if len(sql) > max_length:
        raise SqlRejected(
            _("Câu truy vấn SQL dài %(length)s ký tự, tối đa %(max)s.")
            % {"length": len(sql), "max": max_length},
            code="too_long",
        )
    if "\x00" in sql:
        # Drivers refuse NUL, and the tokenizer reads it as an odd name character.
        raise SqlRejected(_("Câu truy vấn SQL chứa ký tự NUL."), code="syntax")
    lookups: dict[str, str | None] = {}

    def lookup(resource_id: str) -> str | None:
        if resource_id not in lookups:
            lookups[resource_id] = known(resource_id) or None
        return lookups[resource_id]

    output, tables = _check(sql, lookup, dialect)
    # The rendering must pass the same checks, reading only the tables just resolved.
    real = {name.lower(): name for name in lookups.values() if name}
    try:
        _check(output, real.get, dialect)
    except SqlRejected as exc:
        raise SqlRejected(
            _("Không kiểm tra được câu truy vấn SQL sau khi chuyển đổi."), code="syntax"
        ) from exc
    return CheckedSql(output, tables)


class _StrictSQLite(SQLite):
    """SQLite reads a double-quoted name that is no column as a string literal ("Quan" =
    'Quan' is true on every row when the column is "Quận"); back-quoted names never fall
    back, so a misspelt column is an error there as it is on PostgreSQL."""

    class Tokenizer(SQLite.Tokenizer):
        IDENTIFIERS = ["`", '"', ("[", "]")]


_OUTPUT: dict[str, Any] = {"sqlite": _StrictSQLite}


def _check(
    sql: str, known: Callable[[str], str | None], dialect: str
) -> tuple[str, tuple[str, ...]]:
    engine = Dialect.get_or_raise(dialect)
    try:
        tokens = engine.tokenize(sql)
        _one_statement(tokens)
        try:
            statements = engine.parser().parse(tokens, sql)
        except (SqlglotError, RecursionError):
            raise
        except Exception as exc:
            # On some malformed input the parser trips over its own assumptions
            # (AttributeError, IndexError...); for the sender it is a syntax error.
            raise SqlglotError(str(exc)) from exc
        statement = _only_query(statements)
        _allowed(statement, dialect)
        resolver = _Resolver(known, dialect)
        resolver.visit(statement, {})
        _quote_identifiers(statement, dialect)
        # A construct the dialect cannot express would otherwise be dropped or
        # approximated with only a logged warning (SQLite loses t(a, b) column aliases).
        output = statement.sql(
            dialect=_OUTPUT.get(dialect, dialect),
            comments=False,
            identify=True,
            unsupported_level=ErrorLevel.RAISE,
        )
    except RecursionError:
        raise SqlRejected(_("Câu truy vấn SQL lồng nhau quá sâu."), code="syntax") from None
    except ParseError as exc:
        raise _syntax_error(exc) from None
    except UnsupportedError:
        raise SqlRejected(
            _("Câu truy vấn dùng cấu trúc mà %(dialect)s không hỗ trợ.")
            % {"dialect": _DIALECT_NAMES[dialect]},
            code="syntax",
        ) from None
    except SqlglotError:
        raise SqlRejected(_("Câu truy vấn SQL có lỗi cú pháp."), code="syntax") from None
    return output, resolver.tables()


def _syntax_error(exc: ParseError) -> SqlRejected:
    where = exc.errors[0] if exc.errors else {}
    if where.get("line") and where.get("col"):
        return SqlRejected(
            _("Câu truy vấn SQL có lỗi cú pháp ở dòng %(line)s, cột %(col)s.")
            % {"line": where["line"], "col": where["col"]},
            code="syntax",
        )
    return SqlRejected(_("Câu truy vấn SQL có lỗi cú pháp."), code="syntax")


def _one_statement(tokens: list[Token]) -> None:
    """Count statements on the tokens: comments and string literals are already single
    tokens there, so a ``;`` inside either cannot split a statement."""
    statements, current = 0, 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements += current > 0
            current = 0
        else:
            current += 1
    statements += current > 0
    if statements == 0:
        raise SqlRejected(_("Câu truy vấn SQL trống."), code="syntax")
    if statements > 1:
        raise SqlRejected(
            _("Chỉ được gửi một câu lệnh SELECT; câu truy vấn có %(n)s câu lệnh.")
            % {"n": statements},
            code="multiple",
        )
    if tokens[0].token_type not in _FIRST_TOKENS:
        raise _not_select()


def _not_select() -> SqlRejected:
    return SqlRejected(_("Chỉ được đọc dữ liệu bằng một câu lệnh SELECT."), code="not_select")


def _only_query(statements: list[exp.Expr | None]) -> exp.Expr:
    found = [s for s in statements if s is not None and not isinstance(s, exp.Semicolon)]
    if len(found) != 1:
        raise SqlRejected(_("Câu truy vấn SQL có lỗi cú pháp."), code="syntax")
    if not isinstance(found[0], _QUERIES):
        raise _not_select()
    return found[0]


def _walk(node: exp.Expr) -> Iterator[exp.Expr]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(current.iter_expressions())))


def _shown(node: exp.Expr, dialect: str) -> str:
    # A known function is named as the dialect spells it (now() is CURRENT_TIMESTAMP).
    name = node.name if isinstance(node, exp.Anonymous) else node.sql(dialect=dialect)
    name = name.split("(")[0].split("[")[0]
    return name if len(name) <= _NAME_CHARS else name[:_NAME_CHARS] + "…"


def _allowed(statement: exp.Expr, dialect: str) -> None:
    """Every node of the tree is of an allowed kind (deny by default)."""
    for node in _walk(statement):
        kind = type(node)
        if isinstance(node, exp.Into):
            raise SqlRejected(
                _("SELECT … INTO tạo bảng mới; chỉ được đọc dữ liệu."), code="not_select"
            )
        if isinstance(node, exp.Lock):
            raise SqlRejected(
                _("FOR UPDATE / FOR SHARE khóa dữ liệu; chỉ được đọc dữ liệu."),
                code="not_select",
            )
        if isinstance(node, _WRITES):
            raise SqlRejected(
                _("Câu truy vấn có lệnh %(what)s; chỉ được đọc dữ liệu.")
                % {"what": node.key.upper()},
                code="not_select",
            )
        if kind is exp.Anonymous:
            if node.name.lower() not in _ANONYMOUS:
                raise _function(node, dialect)
            continue
        if kind is exp.Table and not isinstance(node.this, exp.Identifier):
            if isinstance(node.this, exp.Func):
                raise SqlRejected(
                    _("Không được dùng hàm %(name)s làm bảng trong FROM.")
                    % {"name": _shown(node.this, dialect)},
                    code="function",
                )
            raise _unsupported(node.this if isinstance(node.this, exp.Expr) else node)
        if isinstance(node, exp.DataType):
            if kind is exp.DataType and node.this in _CAST_TYPES:
                continue
            raise SqlRejected(
                _("Không được chuyển sang kiểu %(type)s.") % {"type": node.sql(dialect=dialect)},
                code="function",
            )
        if kind is exp.Select and not node.expressions:
            raise SqlRejected(_("Câu lệnh SELECT không chọn gì."), code="syntax")
        _placed(node, dialect)
        if kind is exp.Var and type(node.parent) not in _VAR_PARENTS:
            raise _unsupported(node)
        if kind is exp.Column and (node.args.get("db") or node.args.get("catalog")):
            raise SqlRejected(
                _("Không được ghi tên lược đồ hay bảng hệ thống trước tên cột: %(name)s.")
                % {"name": node.sql()},
                code="table",
            )
        if kind in _ALLOWED:
            continue
        if isinstance(node, exp.Func):
            raise _function(node, dialect)
        if isinstance(node, exp.Dot) and node.find(exp.Func):
            # pg_catalog.lower(x): a function named with its schema.
            raise _function(node, dialect)
        raise _unsupported(node)


def _placed(node: exp.Expr, dialect: str) -> None:
    """Tables only where tables go. sqlglot accepts some malformed input by putting a
    node where SQL cannot have it (``FROM SELECT x`` is a Select directly under From);
    rendered, a column there would read as a table name to the database."""
    if isinstance(node, (exp.From, exp.Join)):
        allowed: tuple[type[exp.Expr], ...] = (exp.Table, exp.Subquery)
        children = [node.this]
    elif isinstance(node, exp.Subquery):
        # (SELECT ...), ((SELECT ...)), or a parenthesised table or join.
        allowed, children = (*_QUERIES, exp.Table), [node.this]
    elif isinstance(node, exp.SetOperation):
        allowed, children = _QUERIES, [node.this, node.expression]
    else:
        return
    for child in children:
        if not isinstance(child, allowed):
            if isinstance(child, exp.Func):
                raise _function(child, dialect)
            raise _unsupported(child if isinstance(child, exp.Expr) else node)


def _function(node: exp.Expr, dialect: str) -> SqlRejected:
    return SqlRejected(
        _("Không được dùng hàm %(name)s.") % {"name": _shown(node, dialect)}, code="function"
    )


def _unsupported(node: exp.Expr) -> SqlRejected:
    return SqlRejected(
        _("Câu truy vấn dùng cấu trúc không được hỗ trợ (%(what)s).") % {"what": node.key},
        code="syntax",
    )


def _fold(name: str) -> str:
    # PostgreSQL folds only ASCII letters of unquoted names; SQLite compares names
    # ignoring ASCII case. Python's lower() would also fold Ă to ă.
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)


class _Resolver:
    """Resolves table references to CTEs in scope or to datastore tables, rewriting
    both. CTEs get generated names so that no CTE can shadow, or be confused with, any
    table the database itself would find under the name written."""

    def __init__(self, known: Callable[[str], str | None], dialect: str) -> None:
        self.known = known
        self.dialect = dialect
        self.ctes = 0
        self.refs: list[tuple[int, int, str]] = []

    def key(self, ident: exp.Identifier) -> str:
        if ident.quoted and self.dialect == "postgres":
            return str(ident.name)
        return _fold(ident.name)

    def visit(self, node: exp.Expr, scope: Mapping[str, str]) -> None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            scope = self.with_(with_, scope)
        if isinstance(node, exp.Table):
            self.table(node, scope)
        for child in list(node.iter_expressions()):
            if child is with_ or (isinstance(node, exp.Table) and child.arg_key == "this"):
                continue
            self.visit(child, scope)

    def with_(self, with_: exp.With, scope: Mapping[str, str]) -> dict[str, str]:
        # Without RECURSIVE a CTE sees only the ones before it; with it, itself too.
        # (PostgreSQL also lets a recursive CTE see later ones: those are then looked
        # up as tables and refused, which is the safe side.)
        inner = dict(scope)
        recursive = bool(with_.args.get("recursive"))
        for cte in with_.expressions:
            alias = cte.args.get("alias")
            ident = alias.this if isinstance(alias, exp.TableAlias) else None
            if not isinstance(ident, exp.Identifier) or not isinstance(cte.this, _QUERIES):
                raise _not_select()
            self.ctes += 1
            name = f"_cte{self.ctes}"
            if recursive:
                inner[self.key(ident)] = name
            self.visit(cte.this, dict(inner))
            inner[self.key(ident)] = name
            alias.set("this", exp.to_identifier(name, quoted=True))
        return inner

    def table(self, node: exp.Table, scope: Mapping[str, str]) -> None:
        ident = node.this
        if not isinstance(ident, exp.Identifier):  # _allowed refuses these first
            raise _unsupported(node)
        if node.args.get("db") or node.args.get("catalog"):
            raise SqlRejected(
                _("Không được ghi tên lược đồ trước bảng: %(name)s; chỉ dùng mã tài nguyên.")
                % {"name": node.sql()},
                code="table",
            )
        key = self.key(ident)
        if key in scope:
            self.rename(node, ident, scope[key])
            return
        resource_id = str(ident.name).lower()
        real = self.known(resource_id)
        if real is None:
            shown = ident.name if len(ident.name) <= _NAME_CHARS else ident.name[:_NAME_CHARS]
            raise SqlRejected(
                _("Không có bảng dữ liệu công khai '%(name)s'.") % {"name": shown},
                code="table",
            )
        start = ident.meta.get("start")
        self.refs.append(
            (start if isinstance(start, int) else 1 << 62, len(self.refs), resource_id)
        )
        self.rename(node, ident, real)

    @staticmethod
    def rename(node: exp.Table, ident: exp.Identifier, name: str) -> None:
        # The name as written stays as the alias, so "<id>".column still resolves.
        if not node.args.get("alias") and ident.name != name:
            node.set("alias", exp.TableAlias(this=ident.copy()))
        node.set("this", exp.to_identifier(name, quoted=True))

    def tables(self) -> tuple[str, ...]:
        ordered = [resource_id for _start, _n, resource_id in sorted(self.refs)]
        return tuple(dict.fromkeys(ordered))


def _quote_identifiers(statement: exp.Expr, dialect: str) -> None:
    """Quote every name, folded the way the database would have folded it unquoted, so
    a name the database would read as a keyword function is just a name."""
    for ident in _walk(statement):
        if isinstance(ident, exp.Identifier) and not ident.quoted:
            if dialect == "postgres":
                ident.set("this", _fold(ident.name))
            ident.set("quoted", True)
