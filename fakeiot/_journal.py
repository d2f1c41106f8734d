"""Dicts that note which keys changed, for the state store: :class:`Journaled` (a growing map,
issued tokens or tombstones, written one entry at a time instead of re-encoding all of it on
every request) and :class:`NotingIndex` (an index of mutable records, IoTDA's devices: the
records a request found by key are the ones it may have changed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_MISSING: Any = object()


@dataclass(frozen=True)
class StoredMap:
    """A :class:`Journaled` attribute of a face's state that the state store keeps entry by
    entry (a face's persist module lists them in ``MAPS``, by their section of the export)."""

    #: the state's attribute holding the :class:`Journaled`
    attribute: str
    #: an entry's form in the export, from its key and value
    encode: Callable[[Any, Any], Any]
    #: the export holds the entries as a list (each item carries its key), not an object
    listed: bool = False

    def key_text(self, key: Any) -> str:
        """The entry's key as the store's text key (a tuple's parts joined by U+001F)."""
        return "\x1f".join(key) if isinstance(key, tuple) else str(key)


class _Written(dict[K, V]):
    """A dict whose every write goes through ``__setitem__`` (dict's own ``update``,
    ``setdefault`` and ``|=`` bypass an overridden one)."""

    __slots__ = ()

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> _Written[K, V]:  # type: ignore[override,misc]
        self.update(other)
        return self


class Journaled(_Written[K, V]):
    """A ``dict`` that, while :attr:`changed` is a dict, notes every key set or removed.

    ``changed[key]`` is ``True`` when the key went to the end of the iteration order (added, or
    removed) and ``False`` when its value was replaced in place; the moved keys are in the
    order they last moved in. A writer that deletes every moved key, then writes the changed
    keys in the journal's order, rebuilds the map in its order.
    Reads cost what a dict's cost; only writes are noted. Pickles and copies as a dict does.
    """

    #: ``None``: not noting (the default); a dict: the keys changed since it was set
    changed: dict[Any, bool] | None = None

    def _note(self, key: Any, moved: bool) -> None:
        changed = self.changed
        if changed is None:
            return
        if moved:  # the journal's order is the order the moved keys last went to the end in
            changed.pop(key, None)
            changed[key] = True
        else:
            changed.setdefault(key, False)

    def __setitem__(self, key: K, value: V) -> None:
        if self.changed is not None:
            self._note(key, key not in self)
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._note(key, True)

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        if key in self:
            self._note(key, True)
            return super().pop(key)
        if default is _MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[K, V]:
        key, value = super().popitem()
        self._note(key, True)
        return key, value

    def clear(self) -> None:
        for key in self:
            self._note(key, True)
        super().clear()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # items then journal, copied (a dict subclass's default copy would note every item
        # it sets back, and a shallow copy would share the journal)
        changed = None if self.changed is None else dict(self.changed)
        return (_rebuild, (dict(self), changed))

    def take(self) -> dict[Any, bool] | None:
        """The keys changed since the last call (``None``: nothing was being noted); notes
        from now on."""
        changed, self.changed = self.changed, {}
        return changed


def _rebuild(items: dict[Any, Any], changed: dict[Any, bool] | None) -> Journaled[Any, Any]:
    journaled: Journaled[Any, Any] = Journaled(items)
    if changed is not None:
        journaled.changed = changed
    return journaled


class Noted:
    """The keys some :class:`NotingIndex` dicts were asked for or changed at, while
    :attr:`keys` is a set (``None``: not noting). One is shared by every index of one state."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: set[Any] | None = None

    def take(self) -> set[Any] | None:
        """The keys noted since the last call (``None``: nothing was being noted); notes from
        now on."""
        keys, self.keys = self.keys, set()
        return keys

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_noted, (None if self.keys is None else set(self.keys),))


def _rebuild_noted(keys: set[Any] | None) -> Noted:
    noted = Noted()
    noted.keys = keys
    return noted


class NotingIndex(_Written[K, V]):
    """An index of mutable records that notes, in its :class:`Noted`, every key looked up
    (``index[key]``, ``get``) or changed: an over-approximation of the records a request may
    have changed, since code changes a record after finding it by key. Iterating does not
    note (views and searches only read). Pickles and copies with the ``Noted`` shared.
    """

    __slots__ = ("noted",)

    def __init__(self, noted: Noted, *args: Any) -> None:
        super().__init__(*args)
        self.noted = noted

    def _note(self, key: Any) -> None:
        keys = self.noted.keys
        if keys is not None:
            keys.add(key)

    # the lookups note inline: they are on every IoTDA request's path
    def get(self, key: K, default: Any = None) -> Any:
        keys = self.noted.keys
        if keys is not None:
            keys.add(key)
        return super().get(key, default)

    def __getitem__(self, key: K) -> V:
        keys = self.noted.keys
        if keys is not None:
            keys.add(key)
        return super().__getitem__(key)

    def __setitem__(self, key: K, value: V) -> None:
        self._note(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._note(key)

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        self._note(key)
        return super().pop(key) if default is _MISSING else super().pop(key, default)

    def popitem(self) -> tuple[K, V]:
        key, value = super().popitem()
        self._note(key)
        return key, value

    def clear(self) -> None:
        keys = self.noted.keys
        if keys is not None:
            keys.update(self)
        super().clear()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (NotingIndex, (self.noted, dict(self)))
