"""The state store of ``fakeiot serve --state FILE``: SQLite (WAL), one row per entity.

A request writes only what it touched: the entities its domain events name (``Platform.emit``,
heard through the ``fakeiot_event`` hook), each face's small remainder when it changed, the id
generator and a manual clock. Writes from concurrent requests are grouped into one transaction
(group commit); a request's answer leaves only after the transaction holding its changes has
committed. If the commit fails, every change of the batch is undone in memory (the platform is
reloaded from the last commit) and the requests are answered with their face's internal error.

Durability: ``journal_mode=WAL`` with ``synchronous=NORMAL``. A committed transaction is in the
write-ahead log before the answer leaves, so it survives the process being killed (SIGKILL,
OOM); the log is synced to the disk at each checkpoint, not at each commit, so a power loss or
an operating-system crash may lose the last commits (never the file's consistency).

Faces that declare their ``persist`` module (``export_entities``, ``export_rest``) are
stored entity by entity; any other face is stored as one row with its whole ``export_state()``.
The maps that grow with use (issued tokens, tombstones: the persist module's ``MAPS``) are
stored entry by entry too, as rows of the section ``map:<name>``: a login writes its token, not
every token issued since the server started.
"""

from __future__ import annotations

import array
import base64
import json
import os
import sqlite3
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._clock import ManualClock
from .._errors import UsageError
from .._hooks import hookimpl
from .._http import dumps_compact
from . import _state

if TYPE_CHECKING:
    from .._platform import Platform
    from .._records import Event

SQLITE_MAGIC = b"SQLite format 3\x00"
SCHEMA_VERSION = "3"
#: older schemas this version reads, and rewrites in its own at start-up (2: maps in the rest)
OLDER_SCHEMAS = ("2",)
_dumps = dumps_compact
#: the row holding a face's remainder (everything but its entities)
REST = ""
#: the section prefixes of a map's entry rows: a map exported as an object, or as a list
MAP = "map:"
LIST = "list:"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    face TEXT NOT NULL, section TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (face, section, key)
);
"""


def log(line: str) -> None:
    """One line on standard error (the server's log of storage trouble)."""
    print(line, file=sys.stderr, flush=True)


class StorageError(Exception):
    """The store could not commit; the changes were undone and not acknowledged."""


@dataclass
class Change:
    """What one request changed, waiting for its commit."""

    #: (face, section, key, JSON or None to delete)
    rows: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    #: the request replaced the whole state: clear every row first
    replace: bool = False
    #: (face, section) whose rows are cleared first: a map written whole
    cleared: list[tuple[str, str]] = field(default_factory=list)
    done: bool = False
    error: BaseException | None = None


class _Subjects:
    """A plugin that remembers the subjects of the domain events (per face)."""

    def __init__(self) -> None:
        self.touched: dict[str, set[str]] = {}

    @hookimpl
    def fakeiot_event(self, platform: Platform, event: Event) -> None:
        self.touched.setdefault(event.face, set()).add(event.subject)

    def take(self) -> dict[str, set[str]]:
        touched, self.touched = self.touched, {}
        return touched


def is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def clean_orphans(path: Path) -> list[Path]:
    """Remove temporary files a crash left beside ``path`` (``.<name>.*``); return them."""
    removed: list[Path] = []
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        return removed
    for candidate in directory.glob(f".{path.name}.*"):
        if candidate.is_file():
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(_SCHEMA)
    return connection


def _schema_of(connection: sqlite3.Connection) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    return None if row is None else str(row[0])


def read_document(connection: sqlite3.Connection) -> dict[str, Any]:
    """The stored state as a state document (the JSON export format)."""
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("format") != _state.FORMAT:
        raise UsageError("not a fakeiot state store (no format row)")
    if meta.get("schema") != SCHEMA_VERSION and meta.get("schema") not in OLDER_SCHEMAS:
        raise UsageError(
            f"state store schema {meta.get('schema')!r} is not supported (this fakeiot "
            f"reads schema {SCHEMA_VERSION})"
        )
    faces: dict[str, dict[str, Any]] = {}
    cursor = connection.execute("SELECT face, section, key, value FROM entities ORDER BY rowid")
    sections: dict[str, dict[str, list[Any]]] = {}
    maps: dict[str, dict[str, dict[str, Any]]] = {}
    for face, section, key, value in cursor:
        try:
            data = json.loads(value)
        except ValueError:
            raise UsageError(f"face {face!r}: a stored {section or 'row'} is not JSON") from None
        if section == REST:
            if not isinstance(data, dict):
                raise UsageError(f"face {face!r}: the stored remainder is not an object")
            faces.setdefault(face, {}).update(data)
        elif section.startswith(MAP):
            maps.setdefault(face, {}).setdefault(section[len(MAP) :], {})[key] = data
        elif section.startswith(LIST):  # in the map's order: the rows' order
            sections.setdefault(face, {}).setdefault(section[len(LIST) :], []).append(data)
        else:
            sections.setdefault(face, {}).setdefault(section, []).append(data)
    for face, by_section in sections.items():
        faces.setdefault(face, {}).update(by_section)
    for face, by_map in maps.items():
        faces.setdefault(face, {}).update(by_map)
    try:
        return {
            "format": _state.FORMAT,
            "version": _state.VERSION,
            "savedAt": float(meta.get("savedAt", "0")),
            "seed": json.loads(meta.get("seed", "null")),
            "ids": _ids_state(json.loads(meta.get("ids", "null"))),
            "clock": json.loads(meta.get("clock", "null")),
            "faces": faces,
        }
    except (ValueError, TypeError) as exc:
        raise UsageError(f"the stored meta table is malformed ({exc})") from None


def full_change(platform: Platform) -> Change:
    """Every row of ``platform``'s state: what replaces a whole store."""
    change = Change(replace=True)
    for name, face in platform.faces.items():
        entities = face.export_entities if getattr(face, "persist", None) is not None else None
        if callable(entities):
            for section, items in entities(None).items():
                change.rows += [(name, section, key, _dumps(item)) for key, item in items.items()]
        change.rows.append((name, REST, "", _dumps(_face_rest(face))))
        _map_rows(change, name, face, everything=True)
    change.meta = {
        "format": _state.FORMAT,
        "schema": SCHEMA_VERSION,
        "seed": _dumps(platform.seed),
        **_current_meta(platform),
    }
    return change


def _map_rows(change: Change, name: str, face: Any, *, everything: bool = False) -> None:
    """Add the rows of ``face``'s maps changed since the last call (see ``Face.export_maps``):
    an entry that went to the end of its map is deleted and inserted again, to keep the order."""
    if getattr(face, "persist", None) is None:
        return
    for section, (kind, whole, entries) in face.export_maps(everything=everything).items():
        stored = (LIST if kind.listed else MAP) + section
        if whole:
            change.cleared.append((name, stored))
        for key, (moved, item) in entries.items():
            if moved and not whole:
                change.rows.append((name, stored, key, None))
            if item is not None:
                change.rows.append((name, stored, key, _dumps(item)))


def _face_rest(face: Any) -> dict[str, Any]:
    """A face's remainder row: its export without the entities (their sections empty)."""
    rest = face.export_rest if getattr(face, "persist", None) is not None else None
    if not callable(rest):
        return face.export_state()  # type: ignore[no-any-return]
    data: dict[str, Any] = rest()
    for section in face.entity_sections:
        data[section] = []
    return data


def _current_meta_clock(platform: Platform) -> str:
    return _dumps(platform.clock.now() if isinstance(platform.clock, ManualClock) else None)


def _current_meta(platform: Platform) -> dict[str, str]:
    clock = platform.clock.now() if isinstance(platform.clock, ManualClock) else None
    return {"ids": _ids_text(platform.ids.getstate()), "clock": _dumps(clock)}


def _ids_text(state: Any) -> str:
    """The id generator's state, written after every request that drew an id: the Mersenne
    Twister's 625 words as base64 of little-endian 32-bit words (3.3 KB, encoded at C speed),
    not a JSON array of 625 numbers (6 KB, 60 µs)."""
    version, words, gauss = state
    packed = array.array("I", words)
    if packed.itemsize != 4:  # pragma: no cover - no such platform in use
        return _dumps(state)
    if sys.byteorder == "big":  # pragma: no cover - no such platform in use
        packed.byteswap()
    return _dumps([version, base64.b64encode(packed.tobytes()).decode("ascii"), gauss])


def _ids_state(stored: Any) -> Any:
    """:func:`_ids_text`'s value back in the state document's form (a JSON array as is)."""
    if not (isinstance(stored, list) and len(stored) == 3 and isinstance(stored[1], str)):
        return stored
    try:
        packed = array.array("I", base64.b64decode(stored[1], validate=True))
    except ValueError:
        raise UsageError("the stored id generator state is not base64 of 32-bit words") from None
    if sys.byteorder == "big":  # pragma: no cover - no such platform in use
        packed.byteswap()
    return [stored[0], packed.tolist(), stored[2]]


def write_store(path: Path, platform: Platform) -> None:
    """Write ``platform``'s whole state as a new store at ``path`` (atomically: a temporary
    file in the same directory, then ``os.replace``)."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    connection = _connect(temporary)
    try:
        _apply(connection, [full_change(platform)])
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    os.replace(temporary, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _apply(connection: sqlite3.Connection, batch: list[Change]) -> None:
    """Write ``batch`` in one transaction (rolled back if anything fails)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for change in batch:
            if change.replace:
                connection.execute("DELETE FROM entities")
            if change.cleared:
                connection.executemany(
                    "DELETE FROM entities WHERE face=? AND section=?", change.cleared
                )
            deletes = [r[:3] for r in change.rows if r[3] is None]
            upserts = [r for r in change.rows if r[3] is not None]
            if deletes:
                connection.executemany(
                    "DELETE FROM entities WHERE face=? AND section=? AND key=?", deletes
                )
            if upserts:
                connection.executemany(
                    "INSERT INTO entities VALUES (?, ?, ?, ?) ON CONFLICT (face, section, key)"
                    " DO UPDATE SET value=excluded.value",
                    upserts,
                )
            if change.meta:
                connection.executemany(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key)"
                    " DO UPDATE SET value=excluded.value",
                    change.meta.items(),
                )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


class Store:
    """The SQLite store of one served platform (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._subjects = _Subjects()
        self._platform: Platform | None = None
        #: what was last collected, to write only what changed
        self._rest: dict[str, str] = {}
        self._meta: dict[str, str] = {}
        self._ids: object = None
        self._cv = threading.Condition()
        self._pending: list[Change] = []
        self._committing = False
        #: the last commit failed and no later one succeeded
        self.failing: BaseException | None = None
        self.commits = 0

    # -- opening --------------------------------------------------------------------------------
    def open(self, platform: Platform) -> list[str]:
        """Load the store into ``platform`` (migrating a version-1 JSON state file once), then
        attach to it. Returns lines to print (what was cleaned or migrated)."""
        notes = [f"removed orphaned temporary file {p}" for p in clean_orphans(self.path)]
        if self.path.exists() and not is_sqlite(self.path):
            notes.append(self._migrate(platform))
        if self.path.exists():
            try:
                connection = _connect(self.path)
                document = read_document(connection)
            except sqlite3.DatabaseError as exc:
                raise UsageError(f"{self.path}: not a readable state store ({exc})") from None
            except UsageError as exc:
                raise UsageError(f"{self.path}: {exc}; the file is left as it is") from None
            try:
                _state.load(platform, document)
            except UsageError as exc:
                connection.close()
                raise UsageError(f"{self.path}: {exc}; the file is left as it is") from None
            schema = _schema_of(connection)
            if schema != SCHEMA_VERSION:
                try:
                    _apply(connection, [full_change(platform)])
                except sqlite3.Error as exc:
                    connection.close()
                    raise UsageError(
                        f"{self.path}: cannot rewrite schema {schema} as {SCHEMA_VERSION} ({exc})"
                    ) from None
                notes.append(
                    f"rewrote the state store {self.path} from schema {schema} to {SCHEMA_VERSION}"
                )
        else:
            write_store(self.path, platform)
            connection = _connect(self.path)
        self._connection = connection
        self._attach(platform)
        return notes

    def _migrate(self, platform: Platform) -> str:
        """A version-1 JSON state file: check it, keep it as ``<name>.v1.json``, and write the
        store in its place."""
        raw = self.path.read_bytes()
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise UsageError(
                f"{self.path} is not a state store and not valid JSON ({exc}); it is left as it is"
            ) from None
        scratch = type(platform)(platform.seed, clock=platform.clock, settings=platform.settings)
        try:
            _state.load(scratch, document)
        except UsageError as exc:
            raise UsageError(f"{self.path}: {exc}; the file is left as it is") from None
        kept = self.path.with_name(self.path.name + ".v1.json")
        _state.write_atomic(kept, raw)
        write_store(self.path, scratch)
        return f"migrated the version-1 JSON state file {self.path} (kept as {kept})"

    def _attach(self, platform: Platform) -> None:
        self._platform = platform
        if not platform.hooks.is_registered(self._subjects):
            platform.hooks.register(self._subjects, name="fakeiot.serve.store")
        self._subjects.take()
        self._remember(platform)

    def _remember(self, platform: Platform) -> None:
        """Cache what is stored now, to compare the next requests against."""
        self._rest = {name: _dumps(_face_rest(face)) for name, face in platform.faces.items()}
        for face in platform.faces.values():  # note what changes from here on
            if getattr(face, "persist", None) is not None:
                face.journal()
        self._meta = _current_meta(platform)
        self._ids = platform.ids.getstate()

    def close(self) -> None:
        with self._cv:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        if self._platform is not None and self._platform.hooks.is_registered(self._subjects):
            self._platform.hooks.unregister(self._subjects)

    # -- one request's changes ------------------------------------------------------------------
    def collect(
        self, platform: Platform, *, replaced: bool = False, read_only: bool = False
    ) -> Change | None:
        """What the platform changed since the last call (call under ``platform.lock``).

        ``read_only`` (a GET, HEAD or OPTIONS): only what its domain events name is looked at;
        a change a read made without an event is written with the next write.
        """
        if read_only and not replaced and not self._subjects.touched:
            return None
        change: Change | None
        if replaced:
            self._subjects.take()
            change = full_change(platform)
            self._remember(platform)
        else:
            change = self._changes(platform)
            if change is None:
                return None
        with self._cv:
            self._pending.append(change)
        return change

    def _changes(self, platform: Platform) -> Change | None:
        change = Change()
        touched = self._subjects.take()
        for name, face in platform.faces.items():
            entities = face.export_entities if getattr(face, "persist", None) is not None else None
            if callable(entities):  # the event subjects, and what the face noted itself
                for section, items in entities(touched.get(name, ())).items():
                    change.rows += [
                        (name, section, key, None if item is None else _dumps(item))
                        for key, item in items.items()
                    ]
            _map_rows(change, name, face)
            text = _dumps(_face_rest(face))
            if text != self._rest.get(name):
                self._rest[name] = text
                change.rows.append((name, REST, "", text))
        ids = platform.ids.getstate()
        if ids != self._ids:  # reads draw no ids: skip encoding the generator's state
            self._ids = ids
            meta = _current_meta(platform)
        else:
            meta = {**self._meta, "clock": _current_meta_clock(platform)}
        change.meta = {k: v for k, v in meta.items() if self._meta.get(k) != v}
        self._meta = meta
        return change if change.rows or change.meta else None

    def commit(self, change: Change) -> None:
        """Wait until ``change`` is committed (group commit); raise :class:`StorageError` if
        it could not be, after the platform was rolled back to the last commit."""
        with self._cv:
            while not change.done:
                if self._committing:
                    self._cv.wait()
                    continue
                self._committing = True
                batch, self._pending = self._pending, []
                self._cv.release()
                try:
                    error = self._write(batch)
                    if error is not None:
                        self._roll_back(batch, error)
                finally:
                    self._cv.acquire()
                    self._committing = False
                    for item in batch:
                        item.done = True
                        item.error = error if item.error is None else item.error
                    self._cv.notify_all()
        if change.error is not None:
            raise StorageError(str(change.error)) from change.error

    def _write(self, batch: list[Change]) -> BaseException | None:
        connection = self._connection
        if connection is None:
            return StorageError("the state store is closed")
        try:
            _apply(connection, batch)
        except (sqlite3.Error, OSError) as exc:
            self.failing = exc
            return exc
        self.failing = None
        self.commits += 1
        return None

    def _roll_back(self, batch: list[Change], error: BaseException) -> None:
        """Undo, in memory, every change not committed: reload the platform from the store."""
        platform = self._platform
        connection = self._connection
        if platform is None or connection is None:
            return
        with platform.operation():
            with self._cv:
                # changes queued meanwhile were made on top of the undone ones: undo them too
                later, self._pending = self._pending, []
            for change in later:
                change.error = error
                change.done = True
            batch.extend(later)
            try:
                _state.load(platform, read_document(connection))
            except (sqlite3.Error, OSError, UsageError) as exc:  # pragma: no cover - disk gone
                log(f"fakeiot: cannot reload the last committed state ({exc})")
            self._subjects.take()
            self._remember(platform)
