"""The device search language of ``search_devices`` (spec §5.8), parsed by recursive descent.

::

    select ( * | count(*) | count(1) | field {, field} ) from device
      [ where cond {(and|or) cond} ]          at most 5 conditions, no parentheses
      [ order by marker [asc|desc] ]
      [ limit [offset ,] rows ]               offset <= 500, rows <= 50, default 10
    cond := field ( = | != | > | < ) 'value'
          | field like 'prefix%'              device_name, node_id, tag_key, tag_value
          | field [not] in ('v' {, 'v'})      not on tag_key, tag_value

Keywords are case-insensitive, values case-sensitive, ``and`` binds tighter than ``or``.
Anything else (functions, subqueries, nesting, null, empty strings) is refused with
:class:`SearchError`, whose message names what was wrong.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FIELDS = (
    "app_id", "device_id", "gateway_id", "product_id", "device_name", "node_id", "status",
    "node_type", "tag_key", "tag_value", "sw_version", "fw_version", "group_id", "create_time",
    "marker",
)  # fmt: skip
#: fields a select list may name (the conditions-only ones are not columns)
COLUMNS = tuple(f for f in FIELDS if f not in ("tag_key", "tag_value", "group_id", "create_time"))
ORDERED = frozenset({"create_time", "marker"})
LIKEABLE = frozenset({"device_name", "node_id", "tag_key", "tag_value"})
MULTI = frozenset({"tag_key", "tag_value", "group_id"})
MAX_CONDITIONS = 5
MAX_OFFSET = 500
MAX_ROWS = 50

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>\d+)|(?P<op>!=|<>|[=<>(),*])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>\S))"
)
_LIKE = re.compile(r"([\u4e00-\u9fa5A-Za-z0-9_-]{4,})%")
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z")


class SearchError(ValueError):
    """The statement is not one the platform accepts."""


Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Query:
    columns: tuple[str, ...] | None  # None: every column
    count: bool
    predicate: Predicate | None
    order: str | None  # "asc" | "desc" | None
    offset: int
    rows: int


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def _tokens(sql: str) -> list[_Token]:
    out = []
    position = 0
    sql = sql.rstrip()
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        if match is None:  # only trailing blanks remain
            break
        kind = match.lastgroup or "bad"
        text = match.group(kind)
        if kind == "bad":
            raise SearchError(f"unexpected character {text!r} at {match.start(kind)}")
        out.append(_Token(kind, text))
        position = match.end()
    return out


def parse_time(text: str) -> float:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` as POSIX seconds."""
    match = _TIME.fullmatch(text)
    if match is None:
        raise SearchError(f"create_time {text!r} is not yyyy-MM-ddTHH:mm:ss.SSSZ")
    y, mo, d, h, mi, s, ms = (int(g) for g in match.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
        raise SearchError(f"create_time {text!r} is not a valid time")
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) + ms / 1000


class _Parser:
    def __init__(self, sql: str) -> None:
        self.tokens = _tokens(sql)
        self.i = 0

    # -- token helpers -------------------------------------------------------------------------
    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def word(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() in words:
            self.i += 1
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            raise SearchError(f"expected {word!r} {self.where()}")

    def op(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in ops:
            self.i += 1
            return token.text
        return None

    def expect_op(self, op: str) -> None:
        if self.op(op) is None:
            raise SearchError(f"expected {op!r} {self.where()}")

    def where(self) -> str:
        token = self.peek()
        return f"before {token.text[:30]!r}" if token is not None else "at the end"

    def number(self, what: str) -> int:
        token = self.peek()
        if token is None or token.kind != "num":
            raise SearchError(f"{what} must be a number {self.where()}")
        self.i += 1
        return int(token.text)

    def string(self) -> str:
        token = self.peek()
        if token is None or token.kind != "str":
            raise SearchError(f"expected a single-quoted value {self.where()}")
        self.i += 1
        value = re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if value == "":
            raise SearchError("empty-string values are not supported")
        return value

    def field(self, allowed: tuple[str, ...] = FIELDS) -> str:
        token = self.peek()
        if token is None or token.kind != "word":
            raise SearchError(f"expected a field name {self.where()}")
        name = token.text.lower()
        if name not in allowed:
            raise SearchError(f"unknown field {token.text[:40]!r}; fields: {', '.join(allowed)}")
        self.i += 1
        return name

    # -- grammar -------------------------------------------------------------------------------
    def statement(self) -> Query:
        self.expect_word("select")
        columns: tuple[str, ...] | None = None
        count = False
        if self.op("*"):
            pass
        elif self.word("count"):
            self.expect_op("(")
            if not (self.op("*") or self._one()):
                raise SearchError("only count(*) and count(1) are supported")
            self.expect_op(")")
            count = True
        else:
            names = [self.field(COLUMNS)]
            while self.op(","):
                names.append(self.field(COLUMNS))
            columns = tuple(names)
        self.expect_word("from")
        self.expect_word("device")
        predicate = self.conditions() if self.word("where") else None
        order = None
        if self.word("order"):
            self.expect_word("by")
            if self.field() != "marker":
                raise SearchError("only 'order by marker' is supported")
            order = "asc"
            if self.word("desc"):
                order = "desc"
            else:
                self.word("asc")
        offset, rows = 0, 10
        if self.word("limit"):
            rows = self.number("limit")
            if self.op(","):
                offset, rows = rows, self.number("limit rows")
            if offset > MAX_OFFSET:
                raise SearchError(f"limit offset must be at most {MAX_OFFSET}")
            if not 1 <= rows <= MAX_ROWS:
                raise SearchError(f"limit rows must be 1 to {MAX_ROWS}")
        if self.peek() is not None:
            raise SearchError(f"unexpected {self.peek().text[:30]!r}")  # type: ignore[union-attr]
        return Query(columns, count, predicate, order, offset, rows)

    def _one(self) -> bool:
        token = self.peek()
        if token is not None and token.kind == "num" and token.text == "1":
            self.i += 1
            return True
        return False

    def conditions(self) -> Predicate:
        groups: list[list[Predicate]] = [[self.condition()]]
        total = 1
        while True:
            if self.word("and"):
                groups[-1].append(self.condition())
            elif self.word("or"):
                groups.append([self.condition()])
            else:
                break
            total += 1
            if total > MAX_CONDITIONS:
                raise SearchError(f"at most {MAX_CONDITIONS} conditions are supported")
        frozen = tuple(tuple(g) for g in groups)
        return lambda row: any(all(c(row) for c in group) for group in frozen)

    def condition(self) -> Predicate:
        if self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
            raise SearchError("parentheses are not supported in conditions")
        name = self.field()
        op = self.op("=", "!=", "<>", ">", "<")
        if op is not None:
            value = self.string()
            if op in (">", "<") and name not in ORDERED:
                raise SearchError(f"'{op}' works on create_time and marker only, not {name}")
            return _compare(name, "!=" if op == "<>" else op, value)
        if self.word("like"):
            if name not in LIKEABLE:
                raise SearchError(f"'like' works on {', '.join(sorted(LIKEABLE))} only")
            pattern = self.string()
            match = _LIKE.fullmatch(pattern)
            if match is None:
                raise SearchError(
                    "'like' takes a prefix of at least 4 letters, digits, '_' or '-' then '%'"
                )
            prefix = match.group(1)
            return _matcher(name, lambda v: v.startswith(prefix))
        negate = self.word("not")
        if negate or self.word("in"):
            if negate:
                self.expect_word("in")
            if name in ("tag_key", "tag_value"):
                raise SearchError(f"'in' does not work on {name}")
            self.expect_op("(")
            values = {self.string()}
            while self.op(","):
                values.add(self.string())
            self.expect_op(")")
            if name == "create_time":
                times = {parse_time(v) for v in values}
                test: Callable[[Any], bool] = lambda v: v in times  # noqa: E731
            else:
                test = lambda v: v in values  # noqa: E731
            if negate:
                return lambda row: not _matcher(name, test)(row)
            return _matcher(name, test)
        raise SearchError(f"expected an operator after {name} {self.where()}")


def _matcher(name: str, test: Callable[[Any], bool]) -> Predicate:
    if name in MULTI:
        return lambda row: any(test(v) for v in row.get(name) or ())
    return lambda row: (v := row.get(name)) is not None and test(v)


def _compare(name: str, op: str, text: str) -> Predicate:
    value: Any = parse_time(text) if name == "create_time" else text
    if op == "=":
        return _matcher(name, lambda v: v == value)
    if op == "!=":
        if name in MULTI:
            return lambda row: all(v != value for v in row.get(name) or ())
        return lambda row: row.get(name) != value
    if op == ">":
        return _matcher(name, lambda v: v > value)
    return _matcher(name, lambda v: v < value)


def parse(sql: str) -> Query:
    """Parse ``sql``; raise :class:`SearchError` for what the platform refuses."""
    if len(sql) > 400:
        raise SearchError("the statement is longer than 400 characters")
    return _Parser(sql).statement()
