"""Text from outside (an HTTP endpoint, a recognizer, a file) made safe to show: secrets masked, then cut, and
control characters escaped so nothing can drive the terminal (clear the screen, retitle the window, hide text).

The order matters: masking before cutting means a secret split by the cut can never leave a prefix behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "<redacted>"
# C0 and C1 controls, DEL, zero-width and bidirectional formatting, line/paragraph separators, BOM.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control or invisible formatting character written as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROLS.sub(_escape, text)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each (non-empty) secret replaced by :data:`MASK`."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def shown(text: str, secrets: Iterable[str] = (), limit: int | None = None) -> str:
    """Untrusted ``text`` ready for a message: secrets masked, then cut to ``limit`` characters, then escaped."""
    text = mask(text, secrets)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return escape_controls(text)
