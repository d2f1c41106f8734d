"""The EnOS routes' inputs and answers, declared once (see :mod:`fakeiot._schema`).

Every rejected Connect Service field answers ``99400 Invalid arguments`` (the text the create
and replace pages document for bad parameters, spec §2.4); the reason goes in
:attr:`ApiError.detail`, which never reaches the wire. ``null`` is the same as absent for
optional fields and unknown keys are ignored. JSON strings that hold booleans or numbers are
accepted for boolean and integer fields, as the vendor's samples send them (spec §9.7).
The token service (spec §6.3) answers an empty field with 1202 and any other bad field with 1004.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, TypedDict, final

from .._errors import ApiError
from .._http import is_encodable
from .._schema import MAX_INT, Request, body, query
from ._errors import EnosError

E = EnosError

#: device key: 4-64 letters, digits and ``-_.:`` (spec §2.9, §4.1, the seed).
DEVICE_KEY = r"[A-Za-z0-9_.:\-]{4,64}"
_SPECIAL = frozenset("_.:-")
#: tag key: letters, digits, ``_ - /``; at most 50 (spec §2.6).
_TAG_KEY = re.compile(r"[A-Za-z0-9_\-/]{1,50}")
_OFFSET = re.compile(r"[+-](0\d|1[0-4]):[0-5]\d")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,3}")
#: characters a product name may not contain (spec §2.9).
PRODUCT_NAME_FORBIDDEN = frozenset("<>;@*%&\\")
_PRODUCT_NAME = r"[^<>;@*%&\\]*"
MAX_NAME = 64
MAX_TAGS = 100
MAX_LOCALES = 100
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 10


# =============================================================================================
# Checks the declared types cannot say (Spec.check: return the value, or raise ValueError)
# =============================================================================================
def _encodable(value: Any) -> bool:
    """Whether every string in ``value`` (keys too) encodes as UTF-8 (a lone surrogate does not)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not is_encodable(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _locales(forbidden: frozenset[str]) -> Callable[[Any], dict[str, str]]:
    """The check of a StringI18n's ``i18nValue``: at most 100 locales, texts as the default's."""

    def check(values: dict[str, Any]) -> dict[str, str]:
        if len(values) > MAX_LOCALES:
            raise ValueError(f"has more than {MAX_LOCALES} locales")
        for locale, text in values.items():
            if not isinstance(text, str):
                raise ValueError(f"{locale[:20]} must be a string, got {type(text).__name__}")
            if not 1 <= len(locale) <= 32:
                raise ValueError("has an invalid locale key")
            if len(text) > MAX_NAME:
                raise ValueError(f"{locale[:20]} must be at most {MAX_NAME} characters")
            if forbidden and not forbidden.isdisjoint(text):
                raise ValueError(f"{locale[:20]} must not contain any of {''.join(forbidden)}")
            if not is_encodable(locale) or not is_encodable(text):
                raise ValueError("holds a lone surrogate, which is not text")
        return dict(values)

    return check


def tags(value: dict[str, Any]) -> dict[str, str]:
    """Tags: at most 100; keys ``[A-Za-z0-9_-/]{1,50}``; values at most 200 characters that
    neither start nor end with white space (spec §2.6)."""
    if len(value) > MAX_TAGS:
        raise ValueError(f"has {len(value)} tags; at most {MAX_TAGS}")
    for tag, text in value.items():
        if not _TAG_KEY.fullmatch(tag):
            raise ValueError(f"key {tag[:60]!r} must be 1-50 letters, digits, _, - or /")
        if not isinstance(text, str):
            raise ValueError(f"{tag} must be a string, got {type(text).__name__}")
        if len(text) > 200:
            raise ValueError(f"{tag} must be at most 200 characters, got {len(text)}")
        if text != text.strip():
            raise ValueError(f"{tag} must not start or end with white space")
        if not is_encodable(text):
            raise ValueError(f"{tag} holds a lone surrogate, which is not text")
    return dict(value)


def attributes(value: dict[str, Any]) -> dict[str, Any]:
    """Attributes: any JSON values under 1-64 character keys (the fake holds no thing models)."""
    for name in value:
        if not name or len(name) > 64:
            raise ValueError("keys must be 1 to 64 characters")
    if not _encodable(value):
        raise ValueError("holds a lone surrogate, which is not text")
    return dict(value)


def timezone(value: str) -> str:
    """A UTC offset ``+08:00`` or an IANA zone name (spec §2.6)."""
    if _OFFSET.fullmatch(value) or _known_zone(value):
        return value
    raise ValueError(f"{value[:40]!r} is neither a UTC offset like +08:00 nor an IANA zone name")


@lru_cache(maxsize=512)
def _known_zone(name: str) -> bool:
    if not _ZONE_NAME.fullmatch(name):
        return False
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # Without a time-zone database (tzdata) every name would fail: accept the shape then.
        return not zoneinfo.available_timezones()
    return True


def special_characters(key: str) -> int:
    """How many of ``- _ . :`` a device key holds (the strict ``newDeviceKey`` reading)."""
    return sum(c in _SPECIAL for c in key)


def _projection(value: list[str]) -> tuple[str, ...]:
    if not all(value):
        raise ValueError("paths must be non-empty strings")
    return tuple(value)


def _sorters(value: Any) -> Any:
    if not isinstance(value, list):
        raise ValueError("must be a list")
    return value


def _device_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("must be a list")
    return value


# =============================================================================================
# Shared pieces
# =============================================================================================
class _I18nName:
    """What device and product names share: their wire form and a patch update."""

    __slots__ = ()
    default_value: str
    i18n_value: dict[str, Any] | None

    def wire(self) -> dict[str, Any]:
        return {"defaultValue": self.default_value, "i18nValue": dict(self.i18n_value or {})}

    def patch(self, current: dict[str, Any]) -> dict[str, Any]:
        """The name after a patch update: an absent ``i18nValue`` keeps ``current``'s (§4.5)."""
        if self.i18n_value is None:
            return {"defaultValue": self.default_value, "i18nValue": dict(current["i18nValue"])}
        return self.wire()


@final
@dataclass(frozen=True, slots=True)
class DeviceName(_I18nName):
    """A StringI18n device name: ``defaultValue`` is required whenever the struct is given."""

    default_value: Annotated[str, body(max_len=MAX_NAME, empty_is_missing=True)]
    i18n_value: Annotated[
        dict[str, Any] | None, body(check=_locales(frozenset()), example={"zh_CN": "电表"})
    ] = None


@final
@dataclass(frozen=True, slots=True)
class ProductName(_I18nName):
    """A StringI18n product name: as :class:`DeviceName`, without ``<>;@*%&\\`` (spec §2.9)."""

    default_value: Annotated[
        str, body(max_len=MAX_NAME, pattern=_PRODUCT_NAME, empty_is_missing=True)
    ]
    i18n_value: Annotated[
        dict[str, Any] | None,
        body(check=_locales(PRODUCT_NAME_FORBIDDEN), example={"zh_CN": "风机"}),
    ] = None


@final
@dataclass(frozen=True, slots=True)
class Pagination:
    """``pagination``: pageNo from 1, pageSize from 1 (at most 200 served), default 10
    (spec §2.6, §4.4)."""

    page_no: Annotated[int | None, body(low=1, high=MAX_INT, text_scalar=True)] = None
    #: above 200: clamped or refused per ``enos_page_size_above_max`` (see :func:`paging`)
    page_size: Annotated[int | None, body(low=1, high=MAX_INT, text_scalar=True)] = None
    sorters: Annotated[Any, body(check=_sorters)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrgCall(Request):
    """A Connect Service call: scoped to ``?orgId=`` (checked by the gateway, before parsing)."""

    __empty_body__: ClassVar[bool] = False
    org_id: Annotated[str, query(name="orgId", errors={"missing": E.ORG_MISSING})]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCall(OrgCall):
    """A call on one device: ``assetId``, or ``productKey`` + ``deviceKey`` (spec §2.8)."""

    asset_id: Annotated[str | None, query()] = None
    product_key: Annotated[str | None, query()] = None
    device_key: Annotated[str | None, query()] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductCall(OrgCall):
    """A call on one product, named by ``?productKey=``."""

    product_key: Annotated[str, query()]


# =============================================================================================
# Token service (spec §6.3)
# =============================================================================================
def _epoch_ms(value: Any) -> str:
    """``timestamp``: epoch milliseconds, as a JSON integer or a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    raise ValueError("must be epoch milliseconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class GetToken(Request):
    """``POST /apim-token-service/v2.0/token/get``."""

    __empty_body__: ClassVar[bool] = True
    __errors__: ClassVar[dict[str, EnosError]] = {
        "*": E.TOKEN_INVALID_PARAMETER,
        "missing": E.TOKEN_PARAMETER_EMPTY,
    }
    app_key: Annotated[str, body(empty_is_missing=True)]
    encryption: Annotated[str, body(empty_is_missing=True)]
    timestamp: Annotated[
        Any, body(empty_is_missing=True, check=_epoch_ms, example=1_700_000_000_000)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshToken(GetToken):
    """``POST /apim-token-service/v2.0/token/refresh``: the get fields and the live token."""

    access_token: Annotated[str, body(empty_is_missing=True)]


class TokenAnswer(TypedDict):
    accessToken: str
    expire: int


# =============================================================================================
# Products (spec §3)
# =============================================================================================
@dataclass(frozen=True, slots=True, kw_only=True)
class CreateProduct(OrgCall):
    """``?action=create`` on products."""

    product_name: Annotated[ProductName, body()]
    product_desc: Annotated[str | None, body(max_len=512)] = None
    model_id: Annotated[str, body(min_len=1, max_len=256)]
    data_format: Annotated[Literal["Custom", "Json"], body(max_len=1024)]
    product_type: Annotated[Literal["Device", "Gateway"], body(max_len=1024)]
    bi_directional_auth: Annotated[bool, body(text_scalar=True)]
    dynamic_activate_enabled: Annotated[bool | None, body(text_scalar=True)] = None
    product_tags: Annotated[dict[str, Any] | None, body(check=tags, example={"site": "north"})] = (
        None
    )
    default_valid_day: Annotated[int | None, body(low=1, high=MAX_INT, text_scalar=True)] = None
    max_valid_day: Annotated[int | None, body(low=1, high=MAX_INT, text_scalar=True)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateProduct(ProductCall):
    """``?action=update`` on products: only the fields present change."""

    __empty_body__: ClassVar[bool] = True
    product_name: Annotated[ProductName | None, body()] = None
    product_desc: Annotated[str | None, body(max_len=512)] = None
    bi_directional_auth: Annotated[bool | None, body(text_scalar=True)] = None
    dynamic_activate_enabled: Annotated[bool | None, body(text_scalar=True)] = None
    product_tags: Annotated[dict[str, Any] | None, body(check=tags, example={"site": "north"})] = (
        None
    )
    default_valid_day: Annotated[int | None, body(low=1, high=MAX_INT, text_scalar=True)] = None
    max_valid_day: Annotated[int | None, body(low=1, high=MAX_INT, text_scalar=True)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchProducts(OrgCall):
    """``?action=search`` on products (an empty body lists everything)."""

    __empty_body__: ClassVar[bool] = True
    expression: Annotated[str | None, body()] = None
    pagination: Annotated[Pagination | None, body()] = None


class I18n(TypedDict):
    defaultValue: str
    i18nValue: dict[str, str]


class ProductRecord(TypedDict):
    orgId: str
    productKey: str
    productName: I18n
    productSecret: str
    productDesc: str | None
    productType: str
    dataFormat: str
    productTags: dict[str, str] | None
    modelId: str
    dynamicActivateEnabled: bool
    biDirectionalAuth: bool
    createBy: str
    createTime: int
    updateBy: str
    updateTime: int
    defaultValidDay: int | None
    maxValidDay: int | None


# =============================================================================================
# Devices (spec §4)
# =============================================================================================
@final
@dataclass(frozen=True, slots=True)
class CreateOption:
    """One device to create: the body of ``?action=create``, an item of ``batchCreate``."""

    product_key: Annotated[str, body(min_len=1, max_len=64)]
    device_name: Annotated[DeviceName, body()]
    timezone: Annotated[str, body(max_len=64, check=timezone, example="+08:00")]
    device_attributes: Annotated[
        dict[str, Any] | None, body(check=attributes, example={"rated_power": 1500})
    ] = None
    device_key: Annotated[str | None, body(pattern=DEVICE_KEY, example="meter_001")] = None
    device_desc: Annotated[str | None, body(max_len=1024)] = None
    device_tags: Annotated[dict[str, Any] | None, body(check=tags, example={"site": "north"})] = (
        None
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateDevice(OrgCall):
    """``?action=create`` on devices."""

    product_key: Annotated[str, body(min_len=1, max_len=64)]
    device_name: Annotated[DeviceName, body()]
    timezone: Annotated[str, body(max_len=64, check=timezone, example="+08:00")]
    device_attributes: Annotated[
        dict[str, Any] | None, body(check=attributes, example={"rated_power": 1500})
    ] = None
    device_key: Annotated[str | None, body(pattern=DEVICE_KEY, example="meter_001")] = None
    device_desc: Annotated[str | None, body(max_len=1024)] = None
    device_tags: Annotated[dict[str, Any] | None, body(check=tags, example={"site": "north"})] = (
        None
    )

    def option(self) -> CreateOption:
        return CreateOption(
            self.product_key,
            self.device_name,
            self.timezone,
            self.device_attributes,
            self.device_key,
            self.device_desc,
            self.device_tags,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchCreateDevices(OrgCall):
    """``?action=batchCreate``: items are :class:`CreateOption`, checked one by one."""

    #: typed ``Any`` (checked to be a list) so that a null item fails alone, not the call
    device_list: Annotated[Any, body(check=_device_list)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchDevices(OrgCall):
    """``?action=search`` on devices (an empty body lists everything)."""

    __empty_body__: ClassVar[bool] = True
    expression: Annotated[str | None, body()] = None
    pagination: Annotated[Pagination | None, body()] = None
    projection: Annotated[list[str] | None, body(max_len=200, check=_projection)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateDevice(DeviceCall):
    """``?action=update``: a patch by default; ``isPatchUpdate=false`` replaces everything."""

    __empty_body__: ClassVar[bool] = True
    is_patch_update: Annotated[bool, query(fold_name=True)] = True
    device_name: Annotated[DeviceName | None, body()] = None
    timezone: Annotated[str | None, body(max_len=64, check=timezone, example="+08:00")] = None
    device_attributes: Annotated[
        dict[str, Any] | None, body(check=attributes, example={"rated_power": 1500})
    ] = None
    device_tags: Annotated[dict[str, Any] | None, body(check=tags, example={"site": "north"})] = (
        None
    )
    device_desc: Annotated[str | None, body(max_len=1024)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceDevice(DeviceCall):
    """``?action=replaceDevice``: a new deviceKey (and secret) for the same assetId."""

    #: the create pattern (spec §4.9 [I]); ``enos_strict_new_device_key`` adds the seed's "at
    #: most 3 special characters"
    new_device_key: Annotated[str, body(pattern=DEVICE_KEY, example="meter_002")]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStats(OrgCall):
    """``?action=getStats``: of the org, or of one product."""

    product_key: Annotated[str | None, query()] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownAction(OrgCall):
    """A missing or unknown ``?action=``."""

    action: Annotated[str | None, query()] = None


class DeviceKeys(TypedDict):
    assetId: str
    productKey: str
    deviceKey: str
    deviceSecret: str


class BatchRow(TypedDict):
    code: int
    msg: str
    data: DeviceKeys | None


class DeviceStatsAnswer(TypedDict):
    totalCount: int
    onlineCount: int
    offlineCount: int
    inactiveCount: int
    disabledCount: int


# =============================================================================================
# Envelope extras (rendered by the face around ``data``)
# =============================================================================================
@final
@dataclass(frozen=True, slots=True)
class Page:
    """A page of search results: ``data`` and the envelope's ``pagination`` (spec §2.3);
    ``sortedBy`` is null but for command search."""

    data: list[dict[str, Any]]
    page_no: int
    page_size: int
    total: int
    sorted_by: tuple[dict[str, str], ...] | None = None

    def extra(self) -> dict[str, Any]:
        return {
            "pagination": {
                "sortedBy": None if self.sorted_by is None else [dict(s) for s in self.sorted_by],
                "pageNo": self.page_no,
                "pageSize": self.page_size,
                "totalSize": self.total,
            }
        }


@final
@dataclass(frozen=True, slots=True)
class Batch:
    """batchCreate's rows and the envelope's ``successSize`` and ``totalSize`` (spec §4.2)."""

    data: list[BatchRow]
    success: int
    total: int

    def extra(self) -> dict[str, Any]:
        return {"successSize": self.success, "totalSize": self.total}


@final
@dataclass(frozen=True, slots=True)
class Encoded:
    """``data`` already encoded as JSON (a device's cached wire form)."""

    json: bytes


def unknown_action(action: str | None) -> None:
    """Raise the answer to a missing or unknown ``?action=`` (spec §2.4)."""
    if not action:
        raise ApiError(E.ACTION_MISSING, "no ?action=")
    shown = action[:64].encode("utf-8", "replace").decode("utf-8")
    raise ApiError(E.ACTION_UNKNOWN, "unknown action", action=shown)


def paging(pagination: Pagination | None, above_max: str) -> tuple[int, int]:
    """``(pageNo, pageSize)`` of a search, with their defaults (spec §2.6, §4.4); a pageSize
    above 200 is served as 200 (``above_max="clamp"``) or refused (``"strict"``)."""
    if pagination is None:
        return 1, DEFAULT_PAGE_SIZE
    page_size = pagination.page_size or DEFAULT_PAGE_SIZE
    if page_size > MAX_PAGE_SIZE:
        if above_max == "strict":
            raise ApiError(
                E.INVALID_ARGUMENTS,
                f"pagination.pageSize must be at most {MAX_PAGE_SIZE} (enos_page_size_above_max)",
            )
        page_size = MAX_PAGE_SIZE
    return pagination.page_no or 1, page_size


# =============================================================================================
# Commands and measure points (spec device-traffic B.1, B.2)
# =============================================================================================
#: ``pendingTtl``: 0 (immediate) to 172800 s (48 h) [C: EN-API invoke_service.md]
MAX_PENDING_TTL = 172_800
#: ``timeout``: 1 to 60 s, default 30 [C]
MAX_COMMAND_TIMEOUT = 60
DEFAULT_COMMAND_TIMEOUT = 30
#: commands search: default page size 100 [C: EN-API search_command.md]
COMMAND_PAGE_SIZE = 100


def _identifier(value: str) -> str:
    if not is_encodable(value):
        raise ValueError("holds a lone surrogate, which is not text")
    return value


def _input_data(value: dict[str, Any]) -> dict[str, Any]:
    if not _encodable(value):
        raise ValueError("holds a lone surrogate, which is not text")
    return dict(value)


def _any_value(value: Any) -> Any:
    if not _encodable(value):
        raise ValueError("holds a lone surrogate, which is not text")
    return value


def _point_ids(value: list[Any]) -> tuple[str, ...]:
    if not all(isinstance(v, str) and v and is_encodable(v) for v in value):
        raise ValueError("must be non-empty strings")
    return tuple(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandCall(DeviceCall):
    """The query every command-creating action shares: ``pendingTtl`` and ``timeout``."""

    pending_ttl: Annotated[int, query(low=0, high=MAX_PENDING_TTL)] = 0
    timeout: Annotated[int, query(low=1, high=MAX_COMMAND_TIMEOUT)] = DEFAULT_COMMAND_TIMEOUT


@dataclass(frozen=True, slots=True, kw_only=True)
class InvokeService(CommandCall):
    """``commands?action=invokeService``: ``serviceId`` and the service's ``inputData``."""

    service_id: Annotated[str, query(min_len=1, max_len=64, check=_identifier)]
    input_data: Annotated[dict[str, Any], body(check=_input_data, example={"left": 3, "right": 4})]


@dataclass(frozen=True, slots=True, kw_only=True)
class SetMeasurepoint(CommandCall):
    """``commands?action=setMeasurepoint``: ``measurepointId`` and the ``value`` to set."""

    measurepoint_id: Annotated[str, query(min_len=1, max_len=64, check=_identifier)]
    #: any JSON value; ``null`` counts as absent (spec §2.6), so it is refused as missing
    value: Annotated[Any, body(check=_any_value, example=21.5)]


@dataclass(frozen=True, slots=True, kw_only=True)
class GetCommand(DeviceCall):
    """``commands?action=get``."""

    command_id: Annotated[str, query(min_len=1, max_len=64)]


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelCommand(DeviceCall):
    """``commands?action=cancel``: one cached command, or all of them (no ``commandId``)."""

    command_id: Annotated[str | None, query(max_len=64)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchCommands(DeviceCall):
    """``commands?action=search`` (an empty body lists everything, newest first)."""

    __empty_body__: ClassVar[bool] = True
    expression: Annotated[str | None, body()] = None
    pagination: Annotated[Pagination | None, body()] = None
    projection: Annotated[list[str] | None, body(max_len=200, check=_projection)] = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryLatest(DeviceCall):
    """``measurepoints?action=queryLatest``: the named points, or all (no ``measurepointIds``)."""

    __empty_body__: ClassVar[bool] = True
    measurepoint_ids: Annotated[
        list[Any] | None, body(max_len=1000, check=_point_ids, example=["temp"])
    ] = None


class CommandCreated(TypedDict, total=False):
    commandId: str
    outputData: Any


class PointStatus(TypedDict):
    id: str
    time: str
    value: Any


#: commands are searched newest first, and the page says so (search_command.md)
COMMANDS_SORTED_BY: tuple[dict[str, str], ...] = ({"field": "createDate", "order": "DESC"},)
