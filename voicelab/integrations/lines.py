"""Appending one JSON document per line to a file that another process may be reading."""

from __future__ import annotations

import os
import threading

_LOCK = threading.Lock()


def append_line(path: str | os.PathLike[str], text: str) -> None:
    """Append ``text`` (one JSON document, no newline inside) and a newline to ``path``, flushed at once; a
    reader never sees half a line from two writers of this process."""
    if "\n" in text:
        raise ValueError("append_line writes one line: the text has a newline in it")
    with _LOCK, open(path, "a", encoding="utf-8") as out:
        out.write(text + "\n")
        out.flush()
