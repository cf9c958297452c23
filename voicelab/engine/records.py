"""Frozen dataclasses that are quick to build: a run makes its frames and trace records by the thousand.

A frozen dataclass's generated ``__init__`` stores each field through ``object.__setattr__`` (its own
``__setattr__`` refuses); :func:`quick_init` gives a frozen dataclass with slots an ``__init__`` that stores each
field through its slot directly, at about half the cost, with the same signature, defaults and result.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


class _Factory:
    """Stands for "not given" where a field has a default factory (shown as dataclasses show it)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def quick_init(cls: T) -> T:
    """Replace the ``__init__`` of ``cls`` (a frozen dataclass with slots, no ``__post_init__``) with one that
    writes the slots directly; everything else about the class (frozen, eq, repr, fields) is unchanged."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"quick_init needs a frozen dataclass with slots and no __post_init__; got {cls!r}")
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    args, body = [], []
    for f in fields(cls):
        namespace[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        value = f.name
        if f.default is not MISSING:
            namespace[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            args.append(f"{f.name}=_FACTORY")
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}"
        else:
            args.append(f.name)
        body.append(f"    _set_{f.name}(self, {value})")
    exec(f"def __init__(self, {', '.join(args)}):\n" + "\n".join(body) + "\n", namespace)  # as dataclasses does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = dict(cls.__dict__["__init__"].__annotations__)
    cls.__init__ = init  # type: ignore[misc]
    return cls
