"""OTLP JSON files read without building what no figure reads: each span's ids, name and times are decoded
(msgspec, into a fixed shape), its attributes kept as JSON text and parsed when a key is first read
(:class:`~voicelab.importers.otel.DeferredAttributes`). LiveKit puts its chat context, prompts and metrics on
spans as attributes; building all of them was most of the time of a big import (10,000 LiveKit turns, 147 MB:
the standard library's parse takes 1.4 s, this one 0.3 s; only the attributes a figure reads are parsed later).

The spans are the ones :func:`voicelab.importers.otel.read_spans` reads from the same file, skips included.
Only a file of plain OTLP documents is read here (one per line, or one in all); for anything else (a log line,
a value of an unexpected type, a number Python reads but strict JSON does not, msgspec not installed: it is the
optional ``[traces]`` extra), :func:`read_spans` returns None and the file is read the general way.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .otel import DeferredAttributes, OtelSpan, otlp_span, unique
from .records import Skipped

try:
    import msgspec
except ImportError:  # the [traces] extra is optional: files are then read the general way
    msgspec = None  # type: ignore[assignment]


if msgspec is not None:
    _NO_ATTRIBUTES = msgspec.Raw(b"[]")

    class _Span(msgspec.Struct):
        spanId: Any = None
        parentSpanId: Any = None
        name: Any = None
        startTimeUnixNano: Any = None
        endTimeUnixNano: Any = None
        attributes: msgspec.Raw = _NO_ATTRIBUTES

    class _Scope(msgspec.Struct):
        spans: list[_Span] = []

    class _Resource(msgspec.Struct):
        scopeSpans: list[_Scope] = []
        instrumentationLibrarySpans: list[_Scope] = []

    class _Document(msgspec.Struct):
        resourceSpans: list[_Resource] | msgspec.UnsetType = msgspec.UNSET

    class _Attribute(msgspec.Struct):
        key: Any = None
        value: Any = None

    _DECODER = msgspec.json.Decoder(_Document)
    _ATTRIBUTES = msgspec.json.Decoder(list[_Attribute])

_SPACE = re.compile(r"[ \t\r\n]*")


def read_spans(text: str, skipped: Skipped, detect: bool) -> tuple[dict[str, OtelSpan], int] | None:
    """The spans of an OTLP JSON file by id, and the line its first document starts on; None when the file is
    not made of plain OTLP documents (with ``detect``, when its first document has no ``resourceSpans``), or
    msgspec is not installed. Nothing is added to ``skipped`` unless the file is read here."""
    documents = _documents(text)
    if documents is None or (detect and documents[0][0].resourceSpans is msgspec.UNSET):
        return None
    return unique(_spans(documents, skipped), skipped), documents[0][1]


def _documents(text: str) -> list[tuple[Any, int]] | None:
    """Each document and its line: the text as one, else each line as one; None if any will not decode."""
    if msgspec is None:
        return None
    start = _SPACE.match(text).end()  # type: ignore[union-attr]  # (it matches the empty string)
    if text[start:start + 1] != "{":
        return None
    try:
        return [(_DECODER.decode(text), text.count("\n", 0, start) + 1)]
    except (msgspec.DecodeError, RecursionError):
        pass
    documents = []
    for k, line in enumerate(text.split("\n")):
        if not line or line.isspace():
            continue
        try:
            documents.append((_DECODER.decode(line), k + 1))
        except (msgspec.DecodeError, RecursionError):
            return None
    return documents


def _spans(documents: list[tuple[Any, int]], skipped: Skipped) -> list[OtelSpan]:
    found = []
    for document, line in documents:
        where = f"line {line}"
        for resource in document.resourceSpans or ():
            for scope in resource.scopeSpans or resource.instrumentationLibrarySpans:
                for raw in scope.spans:
                    span = otlp_span(raw.spanId, raw.parentSpanId, raw.name, raw.startTimeUnixNano,
                                     raw.endTimeUnixNano, DeferredAttributes(raw.attributes, _attributes), where,
                                     skipped)
                    if span is not None:
                        found.append(span)
    return found


def _attributes(raw: Any) -> list[Any] | dict[str, Any]:
    """An attribute list's ``AnyValue`` objects by key (the first of a repeated key), or, when it is not a list of
    objects msgspec reads (a number beyond a float, say), the list as the standard library reads it ([] for
    anything but a list), the whole-file reader's values."""
    try:
        return {item.key: item.value for item in reversed(_ATTRIBUTES.decode(raw)) if isinstance(item.key, str)}
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        value = json.loads(bytes(raw))
    except (ValueError, RecursionError):
        value = None
    return value if isinstance(value, list) else []
