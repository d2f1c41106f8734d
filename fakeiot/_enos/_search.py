"""The search expression language and projections of spec §2.6.

Grammar (keywords case-insensitive)::

    expr    := and ("or" and)*
    and     := atom ("and" atom)*
    atom    := "(" expr ")"
             | ["not"] "exists" "(" field ")"
             | field ("=" | "!=") value
             | field "in" "(" value ("," value)* ")"
             | field "like" string
    value   := 'text' | "text" | number

Expressions compile to predicates over a flat *view* of a record (a mapping from field name to
value, and from map names to their dicts); fields a resource does not know are rejected, so a
typo answers 99400 instead of silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._commands import Command
from ._model import STATUS, Device, Product

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<num>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<op>!=|>=|<=|=|>|<|\(|\)|,)
      | (?P<word>[A-Za-z_][\w.\-:/]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "like", "exists"})
MAX_EXPRESSION = 4096


class ExpressionError(ValueError):
    """An expression that does not parse, or names a field the resource does not have."""


@dataclass(frozen=True, slots=True)
class Fields:
    """What a resource's expressions may name.

    ``plain``: scalar fields; ``maps``: map fields reached as ``map.key``; ``names``: the
    StringI18n field searched with ``like`` (``name``, ``name.default``, ``name.<locale>``).
    """

    plain: frozenset[str]
    maps: frozenset[str]
    names: str
    #: plain fields that also take ``>``, ``>=``, ``<``, ``<=`` (a command's ``createTime``)
    ordered: frozenset[str] = frozenset()


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    length = len(text)
    while position < length:
        if text[position:].isspace():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"unexpected text at {position}: {text[position:][:20]!r}")
        position = match.end()
        kind = match.lastgroup
        token = match.group(kind or "")
        if kind == "str":
            tokens.append(("value", _unquote(token)))
        elif kind == "num":
            tokens.append(("value", float(token) if "." in token else int(token)))
        elif kind == "op":
            tokens.append(("op", token))
        elif token.lower() in _KEYWORDS:
            tokens.append(("kw", token.lower()))
        else:
            tokens.append(("field", token))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], fields: Fields) -> None:
        self.tokens = tokens
        self.at = 0
        self.fields = fields

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> Any:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            want = value if value is not None else kind
            got = "the end" if token is None else repr(token[1])
            raise ExpressionError(f"expected {want} but found {got}")
        self.at += 1
        return token[1]

    def accept(self, kind: str, value: Any) -> bool:
        token = self.peek()
        if token is not None and token[0] == kind and token[1] == value:
            self.at += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.expr(0)
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return predicate

    def expr(self, depth: int) -> Predicate:
        if depth > 32:
            raise ExpressionError("expression nested too deeply")
        parts = [self.conjunction(depth)]
        while self.accept("kw", "or"):
            parts.append(self.conjunction(depth))
        if len(parts) == 1:
            return parts[0]
        return lambda view: any(p(view) for p in parts)

    def conjunction(self, depth: int) -> Predicate:
        parts = [self.atom(depth)]
        while self.accept("kw", "and"):
            parts.append(self.atom(depth))
        if len(parts) == 1:
            return parts[0]
        return lambda view: all(p(view) for p in parts)

    def atom(self, depth: int) -> Predicate:
        if self.accept("op", "("):
            inner = self.expr(depth + 1)
            self.take("op", ")")
            return inner
        negate = self.accept("kw", "not")
        if negate or self.accept("kw", "exists"):
            if negate:
                self.take("kw", "exists")
            self.take("op", "(")
            map_name, key = self.map_field(self.take("field"))
            self.take("op", ")")

            def exists(view: Mapping[str, Any]) -> bool:
                return key in view[map_name]

            if negate:
                return lambda view: not exists(view)
            return exists
        name = self.take("field")
        token = self.peek()
        if token is None:
            raise ExpressionError(f"expected an operator after {name!r}")
        if token == ("kw", "like"):
            self.at += 1
            pattern = self.take("value")
            if not isinstance(pattern, str):
                raise ExpressionError("like takes a quoted string")
            return self.like(name, pattern)
        getter = self.getter(name)
        if token == ("kw", "in"):
            self.at += 1
            self.take("op", "(")
            values = [self.take("value")]
            while self.accept("op", ","):
                values.append(self.take("value"))
            self.take("op", ")")
            return lambda view: _member(getter(view), values)
        if token in (("op", "="), ("op", "!=")):
            self.at += 1
            value = self.take("value")
            if token[1] == "=":
                return lambda view: _equal(getter(view), value)
            return lambda view: not _equal(getter(view), value)
        if token[0] == "op" and token[1] in _ORDER and name in self.fields.ordered:
            self.at += 1
            return _compare(getter, _ORDER[token[1]], self.take("value"))
        raise ExpressionError(f"expected =, !=, in or like after {name!r}, found {token[1]!r}")

    def map_field(self, name: str) -> tuple[str, str]:
        head, dot, key = name.partition(".")
        if not dot or not key or head not in self.fields.maps:
            maps = ", ".join(sorted(self.fields.maps))
            raise ExpressionError(f"{name!r} is not a map field (<map>.<key> with map {maps})")
        return head, key

    def getter(self, name: str) -> Callable[[Mapping[str, Any]], Any]:
        if name in self.fields.plain:
            return lambda view: view[name]
        head, dot, key = name.partition(".")
        if dot and key and head in self.fields.maps:
            return lambda view: view[head].get(key, _MISSING)
        known = sorted(self.fields.plain | {f"{m}.<key>" for m in self.fields.maps})
        raise ExpressionError(f"unknown field {name!r}; fields: {', '.join(known)}")

    def like(self, name: str, pattern: str) -> Predicate:
        names = self.fields.names
        needle = pattern.lower()
        head, dot, locale = name.partition(".")
        if head != names:
            raise ExpressionError(f"like applies to {names} only, not {name!r}")
        if not dot:

            def any_name(view: Mapping[str, Any]) -> bool:
                value = view[names]
                texts = [value["defaultValue"]]
                i18n = value["i18nValue"]
                texts += [i18n.get("zh_CN") or "", i18n.get("en_US") or ""]
                return any(needle in t.lower() for t in texts)

            return any_name
        if locale == "default":
            return lambda view: needle in view[names]["defaultValue"].lower()

        def localized(view: Mapping[str, Any]) -> bool:
            value = view[names]
            text = value["i18nValue"].get(locale) or value["defaultValue"]
            return needle in str(text).lower()

        return localized


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return bool(actual == expected)


def _member(actual: Any, values: list[Any]) -> bool:
    return any(_equal(actual, v) for v in values)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def _compare(
    getter: Callable[[Mapping[str, Any]], Any], order: Callable[[Any, Any], bool], value: Any
) -> Predicate:
    """An ordering test: text against text (``"yyyy-MM-dd HH:mm:ss"`` sorts as time), numbers
    against numbers; anything else does not match."""

    def test(view: Mapping[str, Any]) -> bool:
        actual = getter(view)
        if isinstance(actual, str) and isinstance(value, str):
            return order(actual, value)
        numbers = (int, float)
        if (
            isinstance(actual, numbers)
            and isinstance(value, numbers)
            and not isinstance(actual, bool)
            and not isinstance(value, bool)
        ):
            return order(actual, value)
        return False

    return test


def compile_expression(text: str, fields: Fields) -> Predicate:
    """Compile ``text`` to a predicate, or raise :class:`ExpressionError`."""
    if len(text) > MAX_EXPRESSION:
        raise ExpressionError(f"the expression is longer than {MAX_EXPRESSION} characters")
    tokens = tokenize(text)
    if not tokens:
        return lambda view: True
    return _Parser(tokens, fields).parse()


# -- projection ---------------------------------------------------------------------------------
def project(item: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """Crop ``item`` to ``paths`` (``a.b`` sub-field, ``a[*].b`` each element, ``*`` any field)."""
    result: dict[str, Any] = {}
    for path in paths:
        _merge(result, _crop(item, _split(path)))
    return result


def _split(path: str) -> list[str]:
    parts: list[str] = []
    for piece in path.split("."):
        if piece.endswith("[*]"):
            parts += [piece[:-3], "[*]"]
        else:
            parts.append(piece)
    return [p for p in parts if p]


def _crop(value: Any, parts: list[str]) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if head == "[*]":
        if not isinstance(value, list):
            return _MISSING
        return [c for c in (_crop(v, rest) for v in value) if c is not _MISSING]
    if not isinstance(value, dict):
        return _MISSING
    if head == "*":
        keys = list(value)
    elif head in value:
        keys = [head]
    else:
        return _MISSING
    cropped = {k: _crop(value[k], rest) for k in keys}
    cropped = {k: v for k, v in cropped.items() if v is not _MISSING}
    return cropped if cropped or not rest else _MISSING


def _merge(into: dict[str, Any], extra: Any) -> None:
    if not isinstance(extra, dict):
        return
    for key, value in extra.items():
        held = into.get(key)
        if isinstance(held, dict) and isinstance(value, dict):
            _merge(held, value)
        elif isinstance(held, list) and isinstance(value, list) and len(held) == len(value):
            for i, (a, b) in enumerate(zip(held, value, strict=True)):
                if isinstance(a, dict) and isinstance(b, dict):
                    _merge(a, b)
                else:
                    held[i] = b
        else:
            into[key] = value


# =============================================================================================
# What expressions search: devices and products as flat records
# =============================================================================================
DEVICE_FIELDS = Fields(
    plain=frozenset(
        {
            "modelId",
            "productKey",
            "deviceKey",
            "assetId",
            "productType",
            "status",
            "firmwareVersion",
        }
    ),
    maps=frozenset({"deviceAttributes", "deviceTags"}),
    names="deviceName",
)
PRODUCT_FIELDS = Fields(
    plain=frozenset({"productKey", "modelId"}),
    maps=frozenset({"productTags"}),
    names="productName",
)


#: commands search (spec device-traffic B.1): ``state =``, ``commandName.<locale> like``,
#: ``createTime`` compared with ``"yyyy-MM-dd HH:mm:ss"`` (the device's local time)
COMMAND_FIELDS = Fields(
    plain=frozenset({"state", "createTime"}),
    maps=frozenset(),
    names="commandName",
    ordered=frozenset({"createTime"}),
)


def command_record(c: Command) -> dict[str, Any]:
    return {
        "state": int(c.state or 0),
        "createTime": c.create_local,
        "commandName": {
            "defaultValue": c.tsl_identifier,
            "i18nValue": {"en_US": c.tsl_identifier},
        },
    }


def device_record(d: Device, product: Product) -> dict[str, Any]:
    """The flat record device search expressions are evaluated against."""
    return {
        "modelId": product.model_id,
        "productKey": d.product_key,
        "deviceKey": d.device_key,
        "assetId": d.asset_id,
        "productType": product.product_type,
        "status": STATUS[d.state],
        "firmwareVersion": None,
        "deviceAttributes": d.attributes,
        "deviceTags": d.tags,
        "deviceName": d.name,
    }


def product_record(p: Product) -> dict[str, Any]:
    return {
        "productKey": p.product_key,
        "modelId": p.model_id,
        "productTags": p.tags or {},
        "productName": p.name,
    }
