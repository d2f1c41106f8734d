"""Optional dependencies: a missing one raises an ImportError that names the extra to install."""

from __future__ import annotations

from ._errors import UsageError

#: the extra that installs each optional top-level package
EXTRAS = {"hypothesis": "hypothesis", "httpx": "httpx", "cryptography": "tls", "amqtt": "mqtt"}


class MissingExtraError(UsageError, ImportError):
    """An optional dependency is not installed; the message says which extra installs it.

    An :class:`ImportError` (so ``pytest.importorskip`` and ``except ImportError`` work) and a
    :class:`fakeiot.UsageError` (so ``fakeiot serve`` reports it in one line)."""

    def __init__(self, package: str, feature: str, extra: str | None = None) -> None:
        extra = extra or EXTRAS.get(package, package)
        super().__init__(
            f"{feature} needs the optional package {package!r}, which is not installed: "
            f"pip install 'fakeiot[{extra}]'"
        )
        self.name = package
        self.extra = extra


def missing(exc: ModuleNotFoundError, feature: str, extra: str | None = None) -> ImportError:
    """The error to raise for ``exc``: a :class:`MissingExtraError` naming the extra when an
    optional package is missing, else ``exc`` itself (a package that is there but broken)::

        try:
            import httpx
        except ModuleNotFoundError as exc:
            raise missing(exc, "fakeiot.HttpxTransport") from None
    """
    package = (exc.name or "").partition(".")[0]
    if package in EXTRAS:
        return MissingExtraError(package, feature, extra)
    return exc
