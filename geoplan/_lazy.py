"""Public names imported when first used (PEP 562), so a light command stays light."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(
    package: str, where: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """
    Return a package's ``__getattr__`` and ``__dir__`` for names imported lazily.

    Parameters
    ----------
    package
        The package's name, for messages.
    where
        Each lazy name's home: ``"module"`` for a module, ``"module:attr"``
        for a name in it.
    namespace
        The package's ``globals()``: a name, once imported, is kept there.

    Returns
    -------
    tuple
        ``__getattr__`` and ``__dir__`` for the package.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module protocol's name)
        if name not in where:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        module, _, attribute = where[name].partition(":")
        value = importlib.import_module(module)
        if attribute:
            value = getattr(value, attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *where})

    return __getattr__, __dir__
