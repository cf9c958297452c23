"""Checks for user-supplied numbers: clear errors naming the field and its accepted range."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import field, fields
from numbers import Real
from typing import Any

from .untrusted import mask


class ConfigError(ValueError):
    """A setting is missing, unknown or outside its accepted range. The message never shows a secret the process
    knows (:func:`voicelab.engine.untrusted.known_secrets`), in any form."""

    def __init__(self, message: object = "") -> None:
        super().__init__(mask(str(message)))


def check_number(name: str, value: Any, lo: float, hi: float, *, unit: str = "", integer: bool = False,
                 lo_open: bool = False) -> float:
    """Return ``value`` as a number if it is finite and within [lo, hi]; raise ConfigError otherwise."""
    low = "(" if lo_open else "["
    kind = "an integer" if integer else "a number"
    accepted = f"{kind} in {low}{_bound(lo)}, {_bound(hi)}]{' ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(f"{name} must be {accepted}; got {short(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float (10**400)
        digits = len(str(abs(math.trunc(value))))
        raise ConfigError(f"{name} must be {accepted}; got an integer of {digits} digits") from None
    if math.isnan(number) or math.isinf(number):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    if integer and number != int(number):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    if number < lo or number > hi or (lo_open and number == lo):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    return int(number) if integer else number


def _bound(x: float) -> str:
    """A range end as typed: 4294967295, not 4.29497e+09."""
    return str(int(x)) if math.isfinite(x) and x == int(x) and abs(x) >= 1e6 else f"{x:g}"


def short(value: Any) -> str:
    """``repr(value)``, cut to 80 characters: what an error message quotes of a bad value."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def check_numbers(name: str, values: Any) -> tuple[float, ...]:
    """A non-empty sequence of finite numbers (not a string such as "0.1,0.2"); ConfigError otherwise."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ConfigError(f"{name} must be a sequence of numbers like [0.1, 0.2]; got {short(values)}")
    numbers = tuple(values)
    if not numbers:
        raise ConfigError(f"{name}: give at least one value")
    return tuple(check_number(f"{name}[{k}]", v, -math.inf, math.inf) for k, v in enumerate(numbers))


def check_type(name: str, value: Any, kind: type | tuple[type, ...], accepted: str) -> Any:
    """``value`` if it is an instance of ``kind``; else ConfigError naming the field and what it accepts."""
    if not isinstance(value, kind):
        raise ConfigError(f"{name} must be {accepted}; got {short(value)}")
    return value


def check_index(name: str, index: Any, count: int) -> int:
    """An index into ``count`` items (0 to count - 1); ConfigError otherwise."""
    if count <= 0:
        raise ConfigError(f"{name}: there is nothing to index (no items)")
    return int(check_number(name, index, 0, count - 1, integer=True))


def param(default: float, lo: float, hi: float, unit: str, help_text: str, *, integer: bool = False,
          lo_open: bool = False) -> Any:
    """A dataclass field holding a number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), with its unit and a
    one-line help: what :func:`validate_fields` checks, the CLI's ``--set`` lists and the dashboards' sliders span."""
    meta = {"range": (lo, hi), "unit": unit, "help": help_text, "integer": integer, "lo_open": lo_open}
    return field(default=default, metadata=meta)


def validate_fields(obj: Any, prefix: str = "") -> None:
    """Validate every dataclass field that declares ``metadata={"range": (lo, hi), ...}``."""
    for f in fields(obj):
        meta = f.metadata
        if "range" in meta:
            lo, hi = meta["range"]
            checked = check_number(prefix + f.name, getattr(obj, f.name), lo, hi, unit=meta.get("unit", ""),
                                   integer=meta.get("integer", False), lo_open=meta.get("lo_open", False))
            object.__setattr__(obj, f.name, checked)
        elif "max_chars" in meta:
            check_text(prefix + f.name, getattr(obj, f.name), meta["max_chars"])
        elif "choices" in meta and getattr(obj, f.name) not in meta["choices"]:
            raise ConfigError(f"{prefix}{f.name} must be one of {', '.join(meta['choices'])}; "
                              f"got {getattr(obj, f.name)!r}")


def check_text(name: str, value: Any, max_chars: int) -> str:
    """``value`` if it is a string of at most ``max_chars`` printable characters; ConfigError otherwise."""
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be text of at most {max_chars} characters; got {short(value)}")
    if len(value) > max_chars:
        raise ConfigError(f"{name} must be text of at most {max_chars} characters; got {len(value)} characters")
    if not value.isprintable():
        raise ConfigError(f"{name} must be printable text (no control characters); got {short(value)}")
    return value


def parse_number(name: str, text: str) -> float:
    """Parse a number typed by a user (CLI, widget text); ConfigError names the field if it is not one."""
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number; got {text!r}") from None
