"""The platform's state file: versioned JSON, written atomically.

Format (``"format": "fakeiot-state"``, ``"version": 1``)::

    {"format": "fakeiot-state", "version": 1, "savedAt": <POSIX seconds>, "seed": <int>,
     "ids": <the id generator's state>, "clock": <seconds, for a manual clock, else null>,
     "faces": {"oceanconnect": {...}, ...}}

A write goes to a temporary file in the same directory, is flushed to disk, then replaces the
old file with ``os.replace``: a crash at any moment leaves the old state or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._clock import ManualClock
from .._errors import InvariantError, UsageError
from . import _schema

if TYPE_CHECKING:
    from .._platform import Platform

FORMAT = "fakeiot-state"
VERSION = 1


def dump(platform: Platform) -> dict[str, Any]:
    with platform.lock:
        state = platform.ids.getstate()
        return {
            "format": FORMAT,
            "version": VERSION,
            "savedAt": platform.clock.now(),
            "seed": platform.seed,
            "ids": _jsonable(state),
            "clock": platform.clock.now() if isinstance(platform.clock, ManualClock) else None,
            "faces": {name: face.export_state() for name, face in platform.faces.items()},
        }


def load(platform: Platform, data: Any) -> None:
    """Replace ``platform``'s state with ``data``; refuse anything malformed, saying why."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError('not a fakeiot state file (no "format": "fakeiot-state")')
    version = data.get("version")
    if version != VERSION:
        raise UsageError(
            f"state file version {version!r} is not supported (this fakeiot reads "
            f"version {VERSION})"
        )
    faces = data.get("faces")
    if not isinstance(faces, dict):
        raise UsageError('the state file has no "faces" object')
    unknown = set(faces) - set(platform.faces)
    if unknown:
        raise UsageError(f"the state file has faces this platform lacks: {sorted(unknown)}")
    _schema.check_document(data)
    with platform.operation():
        clock = data.get("clock")
        if (
            isinstance(platform.clock, ManualClock)
            and isinstance(clock, int | float)
            and clock > platform.clock.now()
        ):
            platform.clock.set(clock)
        try:
            platform.ids.setstate(_tuples(data["ids"]))
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
            raise UsageError(f"the state file's id generator state is malformed: {exc}") from None
        for name, face_state in faces.items():
            if not isinstance(face_state, dict):
                raise UsageError(f"the state of face {name!r} is not an object")
            try:
                platform.face(name).import_state(face_state)
            except UsageError as exc:
                raise UsageError(f"faces.{name}: {exc}") from None
            except InvariantError as exc:
                raise UsageError(f"faces.{name}: the state breaks a rule: {exc}") from None
            except (
                KeyError,
                TypeError,
                ValueError,
                AttributeError,
                IndexError,
                OverflowError,
            ) as exc:
                raise UsageError(
                    f"faces.{name}: the state is malformed: {type(exc).__name__}: {exc}"
                ) from None


def save(platform: Platform, path: str | os.PathLike[str]) -> None:
    """Write the state to ``path`` atomically."""
    write_atomic(Path(path), json.dumps(dump(platform), separators=(",", ":")).encode("utf-8"))


def restore(platform: Platform, path: str | os.PathLike[str]) -> None:
    """Load the state in ``path``; a corrupt or foreign file raises :class:`UsageError`."""
    raw = Path(path).read_bytes()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"{path} is not valid JSON ({exc}); it is left as it is") from None
    try:
        load(platform, data)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}; the file is left as it is") from None


def write_atomic(path: Path, payload: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent or ".", os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value
