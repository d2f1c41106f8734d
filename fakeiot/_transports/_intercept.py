"""``fakeiot.mock()``: one process-wide interception shared by every active block.

Entering the first block patches each client library at its seam (``requests``' adapters,
``http.client`` and ``urllib3`` connections, ``httpx``' transports); leaving the last one puts
back exactly what was there. In between, each intercepted request asks :func:`decide` which
block serves it: the innermost active block entered in the request's context (the thread, or
the context a task or a pool was given), else the most recently entered active block. A block
serves only its ``hosts=`` (every host by default) and only paths under its platform's face
prefixes; ``passthrough=`` hosts go to the network; anything else gets the client library's
own connection error, never the network.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterable, Iterator
from fnmatch import fnmatchcase
from types import TracebackType
from typing import Any, Final, final

from .._errors import UsageError
from .._platform import Platform


@final
class Passthrough:
    """What :func:`decide` answers for a host let through to the network."""

    __slots__ = ()


PASSTHROUGH: Final = Passthrough()


@final
class Refusal(str):
    """The text of the connection error for a request no block serves."""

    __slots__ = ()


@final
class Block:
    """One ``mock()`` block: the platform it routes to and what it lets through."""

    __slots__ = ("active", "hosts", "passthrough", "platform")

    def __init__(
        self, platform: Platform, hosts: Iterable[str] | None, passthrough: Iterable[str]
    ) -> None:
        self.platform = platform
        self.hosts = None if hosts is None else tuple(h.lower() for h in hosts)
        self.passthrough = frozenset(h.lower() for h in passthrough)
        self.active = False

    def serves_host(self, host: str, netloc: str) -> bool:
        if self.hosts is None:
            return True
        return any(fnmatchcase(host, want) or fnmatchcase(netloc, want) for want in self.hosts)

    def refusal(self, method: str, host: str, netloc: str, path: str) -> str:
        """The connection error's text for a request this block does not serve."""
        if not self.serves_host(host, netloc):
            return (
                f"fakeiot.mock() serves only the hosts {', '.join(self.hosts or ())}; "
                f"{method} {netloc}{path} is not one of them (add it to hosts= to serve it, "
                "or to passthrough= to reach the network)"
            )
        return outside_faces(self.platform, method, f"{netloc}{path}")


def outside_faces(platform: Platform, method: str, target: str) -> str:
    """The connection error's text for a path under no face's prefix, in-process."""
    return (
        f"fakeiot answers in-process only the paths under its faces' prefixes "
        f"({', '.join(platform.routes.prefixes)}); {method} {target} is under none of them "
        "(the dashboard and control API are served by fakeiot.Server only; mock(passthrough=) "
        "lets a host reach the network)"
    )


_lock = threading.Lock()
#: the active blocks, in the order they were entered
_active: list[Block] = []
#: the blocks entered in this context, innermost last (stale entries are skipped)
_entered: contextvars.ContextVar[tuple[Block, ...]] = contextvars.ContextVar(
    "fakeiot_mock_blocks", default=()
)
#: (owner, attribute, value before patching or _MISSING, patched value) of the installed seams
_patched: list[tuple[Any, str, Any, Any]] = []
_MISSING: Final = object()
#: seam installers: each patches one library and returns (owner, attribute, new value) triples
_SEAMS: list[Callable[[], list[tuple[Any, str, Any]]]] = []


def add_seam(installer: Callable[[], list[tuple[Any, str, Any]]]) -> None:
    """Register a library's seam (called once per library module, at its import)."""
    if installer not in _SEAMS:
        _SEAMS.append(installer)


def _install() -> None:
    from importlib.util import find_spec

    # each module registers its seams with add_seam when first imported
    from . import _requests, _sockets  # noqa: F401

    if find_spec("httpx") is not None:
        from . import _httpx  # noqa: F401
    for installer in _SEAMS:
        for owner, name, value in installer():
            _patched.append((owner, name, owner.__dict__.get(name, _MISSING), value))
            setattr(owner, name, value)


def _uninstall() -> None:
    while _patched:
        owner, name, before, value = _patched.pop()
        if owner.__dict__.get(name, _MISSING) is not value:
            continue  # patched over by another mock since: ours stays, and passes through
        if before is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, before)


#: set while the platform itself is the client (push delivery): never intercepted
_own_traffic: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "fakeiot_own_traffic", default=False
)


@contextlib.contextmanager
def own_traffic() -> Iterator[None]:
    """Requests made inside go out as if no block were active: the platform's own pushes to
    an application's callback server are not the code under test's requests."""
    token = _own_traffic.set(True)
    try:
        yield
    finally:
        _own_traffic.reset(token)


def blocks() -> list[Block]:
    """The blocks that may serve a request made now, most preferred first (empty: none)."""
    if _own_traffic.get():
        return []
    entered = _entered.get()
    if entered:
        live = [block for block in reversed(entered) if block.active]
        if live:
            return live
    return _active[-1:]


def hostname(netloc: str) -> str:
    """The host of ``host[:port]`` or ``[v6]:port`` (user info dropped), lower-cased."""
    netloc = netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0].lower()
    return netloc.rpartition(":")[0].lower() if ":" in netloc else netloc.lower()


def decide(
    method: str, host: str, netloc: str, path: str
) -> Platform | Passthrough | Refusal | None:
    """Who serves a request: a platform, :data:`PASSTHROUGH`, the text of the connection
    error to raise (a :class:`Refusal`), or ``None`` when no block is active (unpatched)."""
    candidates = blocks()
    if not candidates:
        return None
    host = host.lower()
    netloc = netloc.lower()
    for block in candidates:
        if block.passthrough and (host in block.passthrough or netloc in block.passthrough):
            return PASSTHROUGH
        if block.serves_host(host, netloc) and block.platform.routes.owner(path) is not None:
            return block.platform
    return Refusal(candidates[0].refusal(method, host, netloc, path))


def lets_through(host: str, netloc: str) -> bool | None:
    """Whether a connection to ``host`` goes to the network (``None``: no block is active).

    Decided when a connection opens, before its first request is written.
    """
    candidates = blocks()
    if not candidates:
        return None
    host, netloc = host.lower(), netloc.lower()
    return any(host in b.passthrough or netloc in b.passthrough for b in candidates)


def serves_host(host: str, netloc: str) -> str | None:
    """``None`` if some candidate block serves ``host``, else the connection error's text."""
    candidates = blocks()
    host, netloc = host.lower(), netloc.lower()
    if not candidates or any(b.serves_host(host, netloc) for b in candidates):
        return None
    return candidates[0].refusal("CONNECT", host, netloc, "/")


@final
class mock(contextlib.ContextDecorator):
    """Route every HTTP client in the process to ``platform`` while the block runs.

    ``requests`` (module-level calls, any ``Session``, adapters mounted by SDKs), the standard
    library (``urllib.request``, ``http.client``), ``urllib3`` and ``httpx`` (sync and async)
    are caught at their own seams, so each keeps its own exceptions, certificate-file checks,
    streaming and redirects. ``hosts`` (exact or wildcard, ``"*.example.com"``, optionally
    ``"host:port"``) limits the block to those hosts; by default it answers any host, but only
    on the paths under its faces' prefixes (``/iocm/app/``, ``/connect-service/``...). Hosts in
    ``passthrough`` reach the real network. Any other request raises the client's connection
    error naming what the block serves. Blocks nest and may be entered and left in any order
    from any thread: a request goes to the innermost active block entered in its own thread
    or context, else to the most recently entered one.
    """

    __slots__ = ("_block", "_hosts", "_passthrough", "_used")

    def __init__(
        self,
        platform: Platform,
        *,
        hosts: Iterable[str] | None = None,
        passthrough: Iterable[str] = (),
    ) -> None:
        if not isinstance(platform, Platform):
            raise UsageError(f"fakeiot.mock() takes a fakeiot.Platform, got {platform!r}")
        if isinstance(hosts, str) or isinstance(passthrough, str):
            raise UsageError("hosts= and passthrough= take a list of hosts, not one string")
        self._hosts = None if hosts is None else tuple(hosts)
        self._passthrough = tuple(passthrough)
        self._block = Block(platform, self._hosts, self._passthrough)
        self._used = False

    def _recreate_cm(self) -> mock:
        """As a decorator (``@fakeiot.mock(platform)``): a fresh block for each call."""
        return mock(self._block.platform, hosts=self._hosts, passthrough=self._passthrough)

    def __enter__(self) -> Platform:
        if self._used:
            raise UsageError("a fakeiot.mock() block can be entered once; call mock() again")
        self._used = True
        block = self._block
        with _lock:
            if not _active:
                _install()
            block.active = True
            _active.append(block)
        _entered.set((*_entered.get(), block))
        return block.platform

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        block = self._block
        with _lock:
            block.active = False
            _active.remove(block)
            if not _active:
                _uninstall()
        entered = _entered.get()
        if block in entered:
            _entered.set(tuple(b for b in entered if b is not block))
