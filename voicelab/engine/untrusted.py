"""Text from outside (an HTTP endpoint, a recognizer, a file) made safe to show: secrets masked, then cut, and
control characters escaped so nothing can drive the terminal (clear the screen, retitle the window, hide text).

The order matters: masking before cutting means a secret split by the cut can never leave a prefix behind.

The secrets are the ones the process knows (:func:`known_secrets`): the API key and the credentials of the base URL
in the environment (userinfo, query, fragment) and any a client registered (:func:`register_secret`). Each is
masked in every form a server or a writer may give it (:func:`forms`: as sent, JSON-escaped with or without
``\\/``, URL-encoded) and in any letter case. :class:`StreamMask` does the same on text that arrives in pieces
(a reply streamed token by token), holding back only what may be the start of a secret.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote, quote_plus, unquote

MASK = "<redacted>"
SECRET_VARIABLES = ("VOICELAB_LLM_API_KEY",)  # environment variables that hold a secret
URL_VARIABLES = ("VOICELAB_LLM_BASE_URL",)  # environment variables holding a URL that may carry one
MIN_SECRET_CHARS = 4  # shorter values (a query's "x=2") are not taken for secrets: masking them would garble text
_registered: set[str] = set()
# C0 and C1 controls, DEL, zero-width and bidirectional formatting, line/paragraph separators, BOM.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control or invisible formatting character written as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROLS.sub(_escape, text)


def url_secrets(url: str) -> tuple[str, ...]:
    """What in ``url`` may be a credential: the userinfo (``user:password@``, and the password alone), the query
    (whole, and each value) and the fragment, each also percent-decoded. Read leniently: this runs before the URL
    is validated."""
    rest = url.strip().partition("//")[2] if "//" in url else url.strip()
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    found = [fragment, query, *(value for _, value in parse_qsl(query, keep_blank_values=True))]
    if "@" in rest:
        userinfo = rest.rpartition("@")[0]
        found += [userinfo, userinfo.partition(":")[2]]
    return tuple(dict.fromkeys(s for part in found for s in (part, unquote(part)) if s))


def register_secret(*secrets: str) -> None:
    """Make ``secrets`` known to every mask of this process (a key a client was given as an argument)."""
    _registered.update(s for s in secrets if isinstance(s, str) and s)


def known_secrets(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Every secret this process knows: the registered ones, those of :data:`SECRET_VARIABLES` and the
    credentials in the URLs of :data:`URL_VARIABLES` (``env``, default the environment)."""
    env = os.environ if env is None else env
    found = [*_registered, *(env.get(name, "") for name in SECRET_VARIABLES)]
    for name in URL_VARIABLES:
        found += url_secrets(env.get(name, ""))
    return tuple(sorted({s for s in found if len(s) >= MIN_SECRET_CHARS}))


def forms(secret: str) -> tuple[str, ...]:
    """``secret`` as sent and as a JSON writer or a URL would write it (matched in any letter case)."""
    escaped = json.dumps(secret)[1:-1]
    return tuple(dict.fromkeys((secret, escaped, escaped.replace("/", "\\/"), quote(secret, safe=""),
                                quote(secret), quote_plus(secret))))


@lru_cache(maxsize=64)
def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    every = sorted({f for s in secrets for f in forms(s)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, every)), re.IGNORECASE) if every else None


def _all(secrets: Iterable[str]) -> frozenset[str]:
    return frozenset(s for s in (*secrets, *known_secrets()) if s)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every form of each secret (``secrets`` and :func:`known_secrets`) replaced by :data:`MASK`."""
    pattern = _pattern(_all(secrets))
    return text if pattern is None else pattern.sub(MASK, text)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` (a JSON-like document: dicts, lists, strings, numbers) with every string masked, keys too."""
    pattern = _pattern(_all(secrets))
    if pattern is None:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return pattern.sub(MASK, item)
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, tuple):
            return tuple(walk(v) for v in item)
        return item

    return walk(value)


class StreamMask:
    """Masks secrets in text that arrives in pieces: :meth:`feed` returns what is safe to pass on now (a secret
    split across pieces is caught), :meth:`flush` the rest at the end."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._pattern = _pattern(_all(secrets))
        self._starts = sorted({f.lower() for s in _all(secrets) for f in forms(s)}, key=len, reverse=True)
        self._held = ""

    def feed(self, piece: str) -> str:
        """``piece`` masked, less any tail that may be the start of a secret (held for the next piece)."""
        if self._pattern is None:
            return piece
        text = self._pattern.sub(MASK, self._held + piece)
        keep = self._open_start(text)
        self._held = text[len(text) - keep:] if keep else ""
        return text[:len(text) - keep]

    def flush(self) -> str:
        """What is still held (the stream ended): it was no secret."""
        held, self._held = self._held, ""
        return held

    def _open_start(self, text: str) -> int:
        """The length of the longest tail of ``text`` that begins some form of a secret."""
        tail = text[-max(len(s) for s in self._starts):].lower()
        for k in range(len(tail), 0, -1):
            if any(s.startswith(tail[-k:]) and len(s) > k for s in self._starts):
                return k
        return 0


class MaskedLines(io.TextIOBase):
    """A text stream that masks every known secret, a line at a time (a secret never spans a line of the
    command line's output: JSON escapes line breaks, the table escapes control characters), before ``target``."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r")) + 1
        if cut:
            self.target.write(mask(self._pending[:cut]))
            self._pending = self._pending[cut:]
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.target.write(mask(self._pending))
            self._pending = ""
        self.target.flush()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.target.fileno()

    def isatty(self) -> bool:
        return self.target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")


def shown(text: str, secrets: Iterable[str] = (), limit: int | None = None) -> str:
    """Untrusted ``text`` ready for a message: secrets masked, then cut to ``limit`` characters, then escaped."""
    text = mask(text, secrets)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return escape_controls(text)
