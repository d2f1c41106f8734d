"""``fakeiot.__all__`` is exactly the public surface."""

from __future__ import annotations

import types

import fakeiot


def test_all_is_sorted() -> None:
    assert fakeiot.__all__ == sorted(fakeiot.__all__)


def test_every_name_in_all_resolves() -> None:
    missing = [name for name in fakeiot.__all__ if not hasattr(fakeiot, name)]
    assert missing == []


def test_every_public_name_in_the_namespace_is_in_all() -> None:
    """Modules (``fakeiot.strategies``) and the ``__future__`` import are not exports."""
    for name in fakeiot.__all__:  # load the lazy transports, so they count too
        getattr(fakeiot, name)
    public = {
        name
        for name, value in vars(fakeiot).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and type(value).__module__ != "__future__"
    }
    assert sorted(public - set(fakeiot.__all__)) == []


def test_public_face_modules_export_what_users_name() -> None:
    """Users import error tables and views from public modules, never from ``fakeiot._*``."""
    from fakeiot import enos, oceanconnect, schema

    for module in (enos, oceanconnect, schema):
        assert len(set(module.__all__)) == len(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
    assert oceanconnect.OcError.DEVICE_NOT_FOUND.value.status == 404
    assert enos.Organization.__name__ == "Organization"


def test_both_face_modules_export_the_simulated_device_answers() -> None:
    """A handler's answers are named the same from either face's public module."""
    from fakeiot import enos, oceanconnect

    for name in ("NEVER", "PENDING", "Command", "Reply", "answer", "fail", "later"):
        assert name in oceanconnect.__all__
        assert getattr(oceanconnect, name) is getattr(enos, name)
