"""Checks for user-supplied numbers: clear errors naming the field and its accepted range."""

from __future__ import annotations

import math
from dataclasses import fields
from numbers import Real
from typing import Any


class ConfigError(ValueError):
    """A setting is missing, unknown or outside its accepted range."""


def check_number(name: str, value: Any, lo: float, hi: float, *, unit: str = "", integer: bool = False,
                 lo_open: bool = False) -> float:
    """Return ``value`` as a number if it is finite and within [lo, hi]; raise ConfigError otherwise."""
    low = "(" if lo_open else "["
    kind = "an integer" if integer else "a number"
    accepted = f"{kind} in {low}{lo:g}, {hi:g}]{' ' + unit if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    if integer and number != int(number):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    if number < lo or number > hi or (lo_open and number == lo):
        raise ConfigError(f"{name} must be {accepted}; got {value!r}")
    return int(number) if integer else number


def validate_fields(obj: Any, prefix: str = "") -> None:
    """Validate every dataclass field that declares ``metadata={"range": (lo, hi), ...}``."""
    for f in fields(obj):
        meta = f.metadata
        if "range" in meta:
            lo, hi = meta["range"]
            checked = check_number(prefix + f.name, getattr(obj, f.name), lo, hi, unit=meta.get("unit", ""),
                                   integer=meta.get("integer", False), lo_open=meta.get("lo_open", False))
            object.__setattr__(obj, f.name, checked)
        elif "choices" in meta and getattr(obj, f.name) not in meta["choices"]:
            raise ConfigError(f"{prefix}{f.name} must be one of {', '.join(meta['choices'])}; "
                              f"got {getattr(obj, f.name)!r}")


def parse_number(name: str, text: str) -> float:
    """Parse a number typed by a user (CLI, widget text); ConfigError names the field if it is not one."""
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number; got {text!r}") from None
