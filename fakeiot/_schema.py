"""Route input schemas: one typed declaration per route, the single source of its validation.

A route's input is a frozen dataclass subclassing :class:`Request`. Each field says where it
comes from and what it may hold, with ``typing.Annotated``::

    @dataclass(frozen=True, slots=True)
    class RegisterDevice(Request):
        node_id: Annotated[str, body(max_len=256, empty_is_missing=True)]
        timeout: Annotated[int | None, body(low=0, high=MAX_INT)] = None
        device_id: Annotated[str, path()]

From that one class come:

- the parsed, validated value the handler receives (``Schema.parse``), checked field by field
  in declaration order before any state changes; each violation raises the face's vendor error
  for that field and that kind of violation, with a detail that names the field and says why;
- the OpenAPI parameters and request body (``Schema.openapi_parameters``, ``json_schema``);
- the generated valid and invalid input of ``fakeiot.strategies`` and the fuzz tests (the
  :class:`Field` descriptions are public to them).

Why in-house rather than msgspec or pydantic: the hard part is the mapping of each field and each
kind of violation onto a vendor's error code (OceanConnect answers a missing ``nodeId`` with
100007, a bad ``verifyCode`` with 100003 and everything else with 50400), with Jackson-like
leniency (``null`` is absent, unknown keys are ignored) and no new runtime dependency. A library
reports one message per failure in its own words; mapping those back would mean parsing text.

Violation kinds: ``malformed`` (the body is not a JSON object), ``media`` (a JSON body sent
with another ``Content-Type``, checked only when the face asks for it), ``missing``, ``type``,
``length``, ``pattern``, ``range``, ``choice``. The error for a violation is looked up in the
field's ``errors``, then its ``error``, then the request class's ``__errors__``, then the face's
``invalid`` table (whose ``"*"`` entry is the default).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar, Union, final, get_args, get_origin

from ._errors import ApiError, UsageError
from ._http import HttpRequest, is_encodable, loads_strict, parse_query

Where = Literal["body", "query", "path", "header"]
Kind = Literal["str", "int", "number", "bool", "object", "list", "any"]
Violation = Literal["malformed", "media", "missing", "type", "length", "pattern", "range", "choice"]
VIOLATIONS: tuple[Violation, ...] = typing.get_args(Violation)

MAX_INT = 2_147_483_647


@final
@dataclass(frozen=True, slots=True)
class Spec:
    """What ``Annotated`` metadata says about one field (see :func:`body`, :func:`query`...)."""

    where: Where
    name: str | None = None
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    #: the error for every violation of this field (unless ``errors`` names the violation)
    error: enum.Enum | None = None
    errors: Mapping[str, enum.Enum] = dataclasses.field(default_factory=dict)
    #: an empty string counts as absent (a required field then raises ``missing``)
    empty_is_missing: bool = False
    #: case-insensitive choices (the value is upper-cased before the check)
    fold_case: bool = False
    #: Jackson-like scalar coercion, applied when the face asks for it (``Face.coerce``):
    #: an integer from a whole float (``10.0``) or a digit string (``"100"``), a boolean from
    #: ``"true"``/``"false"`` (any case); an empty string is then absent
    coerce: bool = False
    #: a last check of a well-typed value: returns why it is refused (a ``pattern``
    #: violation) or ``None``; for rules no length or pattern can say (a URL's parts)
    check: Callable[[Any], str | None] | None = None
    doc: str = ""
    #: a value for documentation and for generated valid input
    example: Any = None


def _spec(where: Where) -> Callable[..., Spec]:
    def make(name: str | None = None, **kwargs: Any) -> Spec:
        return Spec(where, name, **kwargs)

    make.__name__ = where
    make.__doc__ = f"Declare a field read from the request's {where}."
    return make


body = _spec("body")
query = _spec("query")
path = _spec("path")
header = _spec("header")


class Request:
    """Base class of a route's input. Subclasses are frozen slotted dataclasses.

    Class-level options (plain class attributes, not fields):

    - ``__media__``: ``"json"`` (default) or ``"form"``: how the body is read;
    - ``__empty_body__``: an empty body counts as ``{}`` (default: it is ``malformed``);
    - ``__naming__``: ``"camel"`` (default) or ``"snake"``: wire names of undeclared names;
    - ``__errors__``: violation -> error, overriding the face's defaults for this route;
    - ``__fold_names__``: body and query names are matched ignoring case (a form whose keys
      the vendor reads case-insensitively).
    """

    __slots__ = ()
    __media__: ClassVar[str] = "json"
    __empty_body__: ClassVar[bool] = False
    __naming__: ClassVar[str] = "camel"
    __errors__: ClassVar[Mapping[str, enum.Enum]] = {}
    __fold_names__: ClassVar[bool] = False


@final
@dataclass(frozen=True, slots=True)
class Field:
    """One field of a schema, compiled from a dataclass field and its :class:`Spec`."""

    attr: str
    name: str
    where: Where
    kind: Kind
    required: bool
    spec: Spec
    default: Any = None
    #: the element of a list
    item: Field | None = None
    #: the members of an object with a declared shape (a nested dataclass)
    model: Model | None = None
    #: compiled ``spec.pattern``
    regex: re.Pattern[str] | None = None
    #: a ``typing.Literal`` or enum's values
    choices: tuple[Any, ...] = ()

    def error_for(self, violation: str, defaults: Mapping[str, enum.Enum]) -> enum.Enum:
        found = self.spec.errors.get(violation) or self.spec.error or defaults.get(violation)
        if found is None:
            found = defaults["*"]
        return found


@final
@dataclass(frozen=True, slots=True)
class Model:
    """The compiled fields of a dataclass (a request or a nested object)."""

    cls: type
    fields: tuple[Field, ...]

    def of(self, where: Where) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.where == where)


_MISSING = object()
_NONE = type(None)


def _camel(attr: str) -> str:
    head, *rest = attr.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _unwrap(hint: Any) -> tuple[Any, bool]:
    """``(type, nullable)`` of ``X | None``."""
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(hint) if a is not _NONE]
        nullable = len(args) < len(get_args(hint))
        if len(args) == 1:
            return args[0], nullable
        return Any, nullable
    return hint, False


_KINDS: dict[Any, Kind] = {str: "str", int: "int", float: "number", bool: "bool"}
_MODELS: dict[tuple[type, str], Model] = {}


def compile_model(cls: type, naming: str | None = None) -> Model:
    """The :class:`Model` of a dataclass, compiled once per class and naming."""
    naming = naming or str(getattr(cls, "__naming__", "camel"))
    key = (cls, naming)
    found = _MODELS.get(key)
    if found is not None:
        return found
    if not dataclasses.is_dataclass(cls):
        raise UsageError(f"{cls.__qualname__} must be a dataclass to serve as a route schema")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = []
    for dc_field in dataclasses.fields(cls):
        hint = hints[dc_field.name]
        spec = Spec("body")
        if get_origin(hint) is typing.Annotated:
            hint, *extras = get_args(hint)
            spec = next((e for e in extras if isinstance(e, Spec)), spec)
        has_default = (
            dc_field.default is not dataclasses.MISSING
            or dc_field.default_factory is not dataclasses.MISSING
        )
        default = dc_field.default if dc_field.default is not dataclasses.MISSING else None
        fields.append(_compile_field(dc_field.name, hint, spec, not has_default, default, naming))
    model = Model(cls, tuple(fields))
    _MODELS[key] = model
    return model


def _compile_field(
    attr: str, hint: Any, spec: Spec, required: bool, default: Any, naming: str
) -> Field:
    name = spec.name or (_camel(attr) if naming == "camel" else attr)
    inner, _nullable = _unwrap(hint)
    item = model = None
    choices: tuple[Any, ...] = spec.choices
    kind: Kind
    origin = get_origin(inner)
    if inner in _KINDS:
        kind = _KINDS[inner]
    elif origin is Literal:
        choices = get_args(inner)
        kind = "str" if all(isinstance(c, str) for c in choices) else "any"
    elif isinstance(inner, type) and issubclass(inner, enum.Enum):
        choices = tuple(m.value for m in inner)
        kind = "str"
    elif origin is list or inner is list:
        kind = "list"
        args = get_args(inner)
        if args:
            item = _compile_field(attr, args[0], Spec(spec.where), True, None, naming)
    elif origin is dict or inner is dict:
        kind = "object"
    elif isinstance(inner, type) and dataclasses.is_dataclass(inner):
        kind = "object"
        model = compile_model(inner, naming)
    else:
        kind = "any"
    regex = re.compile(spec.pattern) if spec.pattern else None
    return Field(attr, name, spec.where, kind, required, spec, default, item, model, regex, choices)


# =============================================================================================
# Parsing
# =============================================================================================
def _fail(
    field: Field, violation: str, why: str, defaults: Mapping[str, enum.Enum], at: str
) -> ApiError:
    where = field.where
    return ApiError(
        field.error_for(violation, defaults),
        f"{where} field {at}: {why}",
        field=at,
        violation=violation,
    )


def _check_text(field: Field, value: str, defaults: Mapping[str, enum.Enum], at: str) -> str:
    spec = field.spec
    size = len(value)
    if (spec.min_len is not None and size < spec.min_len) or (
        spec.max_len is not None and size > spec.max_len
    ):
        low = spec.min_len or 0
        high = "" if spec.max_len is None else spec.max_len
        raise _fail(
            field, "length", f"must be {low} to {high} characters long, got {size}", defaults, at
        )
    if not value.isascii() and not is_encodable(value):
        raise _fail(field, "type", "holds a lone surrogate, which is not text", defaults, at)
    if field.regex is not None and not field.regex.fullmatch(value):
        raise _fail(field, "pattern", f"must match {spec.pattern}", defaults, at)
    if field.choices:
        probe = value.upper() if spec.fold_case else value
        if probe not in field.choices:
            shown = ", ".join(map(str, field.choices))
            raise _fail(
                field, "choice", f"must be one of {shown}, got {value[:40]!r}", defaults, at
            )
        value = probe
    if spec.check is not None:
        _run_check(field, value, defaults, at)
    return value


def _run_check(field: Field, value: Any, defaults: Mapping[str, enum.Enum], at: str) -> None:
    check = field.spec.check
    why = check(value) if check is not None else None
    if why is not None:
        raise _fail(field, "pattern", why, defaults, at)


def _check_number(field: Field, value: float, defaults: Mapping[str, enum.Enum], at: str) -> None:
    spec = field.spec
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        raise _fail(
            field, "range", f"must be between {spec.low} and {spec.high}, got {value}", defaults, at
        )


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _value(field: Field, value: Any, defaults: Mapping[str, enum.Enum], at: str) -> Any:
    """A JSON value checked against ``field`` (``None`` was handled by the caller)."""
    kind = field.kind
    if kind == "str":
        if not isinstance(value, str):
            raise _fail(field, "type", f"must be a string, got {_type_name(value)}", defaults, at)
        return _check_text(field, value, defaults, at)
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(field, "type", f"must be an integer, got {_type_name(value)}", defaults, at)
        _check_number(field, value, defaults, at)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(field, "type", f"must be true or false, got {value!r:.40}", defaults, at)
        return value
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _fail(field, "type", f"must be a number, got {_type_name(value)}", defaults, at)
        _check_number(field, value, defaults, at)
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise _fail(field, "type", f"must be an object, got {_type_name(value)}", defaults, at)
        if field.model is not None:
            return _parse_members(field.model, value, defaults, at + ".")
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise _fail(field, "type", f"must be an array, got {_type_name(value)}", defaults, at)
        size = len(value)
        spec = field.spec
        if (spec.min_len is not None and size < spec.min_len) or (
            spec.max_len is not None and size > spec.max_len
        ):
            raise _fail(
                field,
                "length",
                f"must hold {spec.min_len or 0} to {spec.max_len or ''} items, got {size}",
                defaults,
                at,
            )
        item = field.item
        if item is None or (item.kind == "any" and not item.choices):
            return value
        out = []
        for index, element in enumerate(value):
            where = f"{at}[{index}]"
            if element is None:
                raise _fail(item, "type", "must not be null", defaults, where)
            out.append(_value(item, element, defaults, where))
        return out
    if field.choices and value not in field.choices:
        raise _fail(field, "choice", f"must be one of {field.choices}", defaults, at)
    if field.spec.check is not None:
        _run_check(field, value, defaults, at)
    return value


def _parse_members(
    model: Model, data: Mapping[str, Any], defaults: Mapping[str, enum.Enum], prefix: str
) -> Any:
    values: dict[str, Any] = {}
    for field in model.fields:
        raw = data.get(field.name, None)
        at = prefix + field.name
        if raw is None or (raw == "" and field.spec.empty_is_missing):
            if field.required:
                raise _fail(field, "missing", "is required", defaults, at)
            values[field.attr] = field.default
            continue
        values[field.attr] = _value(field, raw, defaults, at)
    return model.cls(**values)


def _text_value(field: Field, text: str, defaults: Mapping[str, enum.Enum], at: str) -> Any:
    """A query, path or header value (always text on the wire) checked against ``field``."""
    kind = field.kind
    if kind == "int":
        digits = text.removeprefix("-")
        if not digits.isascii() or not digits.isdigit() or len(text) > 12:
            raise _fail(field, "type", f"must be an integer, got {text[:40]!r}", defaults, at)
        number = int(text)
        _check_number(field, number, defaults, at)
        return number
    if kind == "bool":
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise _fail(field, "type", f"must be true or false, got {text[:40]!r}", defaults, at)
        return lowered == "true"
    if kind == "list":
        item = field.item
        parts = [p for p in text.split(",") if p] if text else []
        if item is None:
            return parts
        return [_text_value(item, p, defaults, f"{at}[{i}]") for i, p in enumerate(parts)]
    return _check_text(field, text, defaults, at)


_DIGITS = re.compile(r"[+-]?[0-9]{1,10}")


def _coerce(field: Field, raw: Any) -> Any:
    """``raw`` as Jackson's default scalar coercion reads it for ``field`` (else unchanged)."""
    kind = field.kind
    if kind == "int":
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str):
            text = raw.strip()
            if text == "":
                return None
            if _DIGITS.fullmatch(text):
                return int(text)
    elif kind == "bool" and isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered == "":
            return None
        if lowered in ("true", "false"):
            return lowered == "true"
    return raw


def _media_ok(request: HttpRequest) -> bool:
    """Whether the request's ``Content-Type`` is JSON (``application/json`` or ``*+json``)."""
    sent = request.headers.get("content-type", "")
    media = sent.partition(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


@final
class Schema:
    """A route's compiled input: which fields come from where, and how to check them."""

    __slots__ = (
        "body",
        "cls",
        "coercing",
        "empty_body",
        "errors",
        "fold",
        "headers",
        "media",
        "model",
        "params",
        "query",
    )

    def __init__(self, cls: type[Request]) -> None:
        self.cls = cls
        self.model = compile_model(cls)
        self.body = self.model.of("body")
        self.query = self.model.of("query")
        self.params = self.model.of("path")
        self.headers = self.model.of("header")
        self.media = cls.__media__
        self.empty_body = cls.__empty_body__
        self.errors = cls.__errors__
        self.fold = cls.__fold_names__
        self.coercing = any(f.spec.coerce for f in self.body)

    def parse(
        self,
        request: HttpRequest,
        params: Mapping[str, str],
        defaults: Mapping[str, enum.Enum],
        coerce: bool = False,
        strict_media: bool = False,
    ) -> Any:
        """The request's input as an instance of the schema's class, or a vendor error.

        ``coerce``: apply the Jackson-like coercion of fields declared ``coerce=True``.
        ``strict_media``: a JSON body must come with a JSON ``Content-Type`` (``media``).
        """
        if self.errors:
            defaults = {**defaults, **self.errors}
        values: dict[str, Any] = {}
        for field in self.params:
            text = params.get(field.name, "")
            if text == "" and field.required:
                raise _fail(field, "missing", "is required", defaults, field.name)
            values[field.attr] = (
                _text_value(field, text, defaults, field.name) if text else field.default
            )
        if self.query:
            found = request.query
            if self.fold:
                found = {k.lower(): v for k, v in found.items()}
            for field in self.query:
                given = found.get(field.name.lower() if self.fold else field.name)
                if given is None or given == "":
                    if field.required:
                        raise _fail(field, "missing", "is required", defaults, field.name)
                    values[field.attr] = field.default
                else:
                    values[field.attr] = _text_value(field, given, defaults, field.name)
        if self.headers:
            headers = request.headers
            for field in self.headers:
                sent = headers.get(field.name.lower())
                if sent is None or sent == "":
                    if field.required:
                        raise _fail(field, "missing", "is required", defaults, field.name)
                    values[field.attr] = field.default
                else:
                    values[field.attr] = _text_value(field, sent, defaults, field.name)
        if self.body:
            if strict_media and self.media == "json" and not _media_ok(request):
                sent = request.headers.get("content-type") or "none"
                raise ApiError(
                    defaults.get("media") or defaults["*"],
                    f"the body is JSON but the Content-Type is {sent[:60]}",
                    field="Content-Type",
                    violation="media",
                )
            data = self._body(request, defaults)
            coercing = coerce and self.coercing
            if self.fold:
                data = {k.lower(): v for k, v in data.items()}
            for field in self.body:
                raw = data.get(field.name.lower() if self.fold else field.name)
                if coercing and field.spec.coerce:
                    raw = _coerce(field, raw)
                if raw is None or (raw == "" and field.spec.empty_is_missing):
                    if field.required:
                        raise _fail(field, "missing", "is required", defaults, field.name)
                    values[field.attr] = field.default
                elif self.media == "form":
                    values[field.attr] = _text_value(field, raw, defaults, field.name)
                else:
                    values[field.attr] = _value(field, raw, defaults, field.name)
        return self.cls(**values)

    def _body(self, request: HttpRequest, defaults: Mapping[str, enum.Enum]) -> Mapping[str, Any]:
        raw = request.body
        if self.media == "form":
            return parse_query(raw.decode("utf-8", "replace"))
        error = defaults.get("malformed") or defaults["*"]
        if not raw.strip():
            if self.empty_body:
                return {}
            raise ApiError(error, "the request body is empty", field="body", violation="malformed")
        try:
            payload = loads_strict(raw)
        except (ValueError, RecursionError) as exc:
            raise ApiError(
                error, f"the body is not JSON: {exc}", field="body", violation="malformed"
            ) from None
        if not isinstance(payload, dict):
            raise ApiError(
                error,
                f"the body is JSON {_type_name(payload)}, not an object",
                field="body",
                violation="malformed",
            )
        return payload


_SCHEMAS: dict[type, Schema] = {}


def schema_of(cls: type[Request]) -> Schema:
    """The compiled :class:`Schema` of a request class (compiled once)."""
    found = _SCHEMAS.get(cls)
    if found is None:
        found = _SCHEMAS[cls] = Schema(cls)
    return found


# =============================================================================================
# JSON Schema (for the OpenAPI document)
# =============================================================================================
_JSON_TYPES = {
    "str": "string",
    "int": "integer",
    "number": "number",
    "bool": "boolean",
    "object": "object",
    "list": "array",
}


def json_schema(field: Field, *, wire_text: bool = False) -> dict[str, Any]:
    """The JSON Schema of one field's value (``wire_text``: a query/path/header string)."""
    spec = field.spec
    out: dict[str, Any] = {}
    if field.kind in _JSON_TYPES:
        out["type"] = _JSON_TYPES[field.kind]
    if field.choices:
        out["enum"] = list(field.choices)
    if field.kind == "str" or (wire_text and field.kind not in ("int", "bool", "list")):
        if spec.min_len is not None:
            out["minLength"] = spec.min_len
        if spec.max_len is not None:
            out["maxLength"] = spec.max_len
        if spec.pattern and not field.choices:
            out["pattern"] = f"^(?:{spec.pattern})$"
    if field.kind in ("int", "number"):
        if spec.low is not None:
            out["minimum"] = spec.low
        if spec.high is not None:
            out["maximum"] = spec.high
    if field.kind == "list":
        if spec.min_len is not None:
            out["minItems"] = spec.min_len
        if spec.max_len is not None:
            out["maxItems"] = spec.max_len
        if field.item is not None:
            out["items"] = json_schema(field.item)
    if field.model is not None:
        out.update(object_schema(field.model.fields))
    if spec.doc:
        out["description"] = spec.doc
    if spec.example is not None:
        out["examples"] = [spec.example]
    if not field.required and not wire_text and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def object_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The JSON Schema of an object made of ``fields`` (unknown members are allowed)."""
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: json_schema(f) for f in fields},
    }
    required = [f.name for f in fields if f.required]
    if required:
        out["required"] = required
    return out


def typed_dict_schema(cls: Any) -> dict[str, Any] | None:
    """The JSON Schema of a success body declared as a ``TypedDict`` (``None``: not one)."""
    if not typing.is_typeddict(cls):
        return None
    hints = typing.get_type_hints(cls)
    return {
        "type": "object",
        "properties": {name: _hint_schema(hint) for name, hint in hints.items()},
        "required": sorted(cls.__required_keys__),
    }


def _hint_schema(hint: Any) -> dict[str, Any]:
    inner, nullable = _unwrap(hint)
    origin = get_origin(inner)
    out: dict[str, Any]
    if inner in _KINDS:
        out = {"type": _JSON_TYPES[_KINDS[inner]]}
    elif origin is Literal:
        out = {"enum": list(get_args(inner))}
    elif origin is list:
        args = get_args(inner)
        out = {"type": "array", "items": _hint_schema(args[0]) if args else {}}
    elif origin is dict or inner is dict:
        out = {"type": "object"}
    elif typing.is_typeddict(inner):
        out = typed_dict_schema(inner) or {}
    else:
        out = {}
    if nullable and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


T = TypeVar("T", bound=Request)
