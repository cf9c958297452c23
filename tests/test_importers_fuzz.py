"""A seeded fuzz of every importer: each example trace (and a voicelab Perfetto export) cut to a few turns, then
mutated: values swapped for other types, deleted, duplicated; numbers made NaN, ±Infinity, huge, negative or
5,000 digits long; spans made their own parent, put in cycles and 5,000-deep chains; values nested thousands
deep; a byte order mark, CRLF line ends, control characters in the text, a log line first, a cut or flipped byte.

Every case must end in one of two ways: an import (every figure of every turn finite and between 0 and
``MAX_LATENCY_S``, events finite, the report free of control characters, the JSON document strict JSON), or one
:class:`ImportProblem` line. Anything else (a traceback, a hang, an impossible value accepted) fails with the
seed that reproduces it: ``pytest tests/test_importers_fuzz.py -k 'seed'``. Streams that never end, devices and
broken lines by the hundred thousand are here too; their speed is measured in benchmarks/bench_import.py.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import voicelab as vl
from voicelab.analysis.analyze import analyze, report
from voicelab.importers import ImportProblem, load
from voicelab.importers.records import MAX_LATENCY_S, TOLERANCE_S

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
SEEDS = ("deepgram_latency.jsonl", "livekit_console.jsonl", "livekit_history.json", "livekit_metrics.jsonl",
         "livekit_otlp.json", "pipecat_breakdowns.jsonl", "pipecat_console.jsonl", "pipecat_otlp.json",
         "pipecat_service_metrics.jsonl", "vapi_call.json", "perfetto")
CASES = 300  # per seed file: 11 x 300 = 3,300 cases
REPORT_EVERY = 5  # the report and the JSON document are built for every 5th import (they cost ~3 ms each)
DEEP_CHAINS = (50, 250)  # the cases that also get a 5,000-deep chain of spans (each costs ~0.3 s)
CASE_LIMIT_S = 10  # a case still running after this is a hang
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TURN_SPANS = ("turn", "agent_turn", "user_turn")


# -- seeds: each example cut to its first turns ------------------------------------------------------------------
def _raw(name: str) -> list[Any]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    decoder, pos, out = json.JSONDecoder(), 0, []
    while (pos := _skip(text, pos)) < len(text):
        value, pos = decoder.raw_decode(text, pos)
        out.append(value)
    return out


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _window(spans: list[dict[str, Any]], name: Callable[[dict[str, Any]], str],
            start: Callable[[dict[str, Any]], float], end: Callable[[dict[str, Any]], float]) -> list[dict[str, Any]]:
    """The spans that overlap the first two turn spans (and the session/conversation spans around them)."""
    turns = sorted((s for s in spans if name(s) in _TURN_SPANS), key=start)[:2]
    lo, hi = start(turns[0]), max(end(t) for t in turns)
    return [s for s in spans if name(s) in ("agent_session", "conversation") or (start(s) <= hi and end(s) >= lo)]


def _short(value: Any) -> Any:
    """``value`` with every text cut to 120 characters (the chat contexts LiveKit and Pipecat put on spans)."""
    if isinstance(value, str):
        return value[:120]
    if isinstance(value, list):
        return [_short(v) for v in value]
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    return value


@cache
def _seed(name: str) -> list[Any]:
    """The JSON values of one small but complete input of the file's format (texts shortened), made once per run
    (callers serialise it, never change it)."""
    return [_short(v) for v in _full_seed(name)]


def _full_seed(name: str) -> list[Any]:
    if name == "perfetto":
        run = vl.simulate(vl.presets.get_preset("production").inputs[:1], preset="production")
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"voicelab-fuzz-{os.getpid()}.json"
        vl.export.write_perfetto(run.trace, path)
        try:
            return [json.loads(path.read_text(encoding="utf-8"))]
        finally:
            path.unlink()
    values = _raw(name)
    if name.endswith("otlp.json"):
        spans = [s for doc in values for r in doc["resourceSpans"] for sc in r["scopeSpans"] for s in sc["spans"]]
        kept = _window(spans, lambda s: s["name"], lambda s: int(s["startTimeUnixNano"]),
                       lambda s: int(s["endTimeUnixNano"]))
        return [{"resourceSpans": [{"resource": values[0]["resourceSpans"][0].get("resource", {}),
                                    "scopeSpans": [{"scope": {"name": "fuzz"}, "spans": kept}]}]}]
    if name.endswith("console.jsonl"):
        return _window(values, lambda s: s["name"], lambda s: s["start_time"], lambda s: s["end_time"])
    if name == "livekit_history.json":
        return [{**values[0], "items": values[0]["items"][:7]}]
    if name == "vapi_call.json":
        call = copy.deepcopy(values[0])
        call["artifact"]["performanceMetrics"]["turnLatencies"] = call["artifact"]["performanceMetrics"][
            "turnLatencies"][:4]
        return [call]
    return values[:24]


# -- mutations ---------------------------------------------------------------------------------------------------
HOSTILE_NUMBERS: tuple[Any, ...] = (math.nan, math.inf, -math.inf, 1e308, -1e308, -1.0, -0.25, 1e-300, 0, 86_400.0,
                                    1e19, -(2**63), 2**64, True, False)
HOSTILE_VALUES: tuple[Any, ...] = (None, "", "x" * 300, "1.5", "\x1b[2J\x07bell", [], {}, [1, 2], {"k": 1},
                                   "0000000000000000", "\u202eevil")


def _slots(value: Any, out: list[tuple[Any, Any]], depth: int = 0) -> None:
    """Every (container, key) in a JSON value (the containers are mutated in place)."""
    if depth > 60 or len(out) > 20_000:
        return
    for key, child in value.items() if isinstance(value, dict) else enumerate(value):
        out.append((value, key))
        if isinstance(child, (dict, list)):
            _slots(child, out, depth + 1)


def _paths(values: list[Any]) -> list[tuple[Any, ...]]:
    """The slots of :func:`_all_slots`, in its order, as key paths from ``values``: each mutated copy of a seed
    has them, so a case's first mutation picks one without walking its copy."""
    ids = {id(values): ()}
    out: list[tuple[Any, ...]] = []
    for container, key in _all_slots(values):
        path = (*ids[id(container)], key)
        out.append(path)
        if isinstance(container[key], (dict, list)):
            ids[id(container[key])] = path
    return out


def _slot_at(values: list[Any], path: tuple[Any, ...]) -> tuple[Any, Any]:
    container = values
    for key in path[:-1]:
        container = container[key]
    return container, path[-1]


def _span_lists(values: list[Any]) -> list[list[Any]]:
    found = []
    for container, key in _all_slots(values):
        child = container[key]
        if isinstance(child, list) and child and isinstance(child[0], dict) and (
                "spanId" in child[0] or "context" in child[0]):
            found.append(child)
    if values and isinstance(values[0], dict) and "context" in values[0]:
        found.append(values)
    return found


def _all_slots(values: list[Any]) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for k in range(len(values)):
        out.append((values, k))
        if isinstance(values[k], (dict, list)):
            _slots(values[k], out)
    return out


def _ids(span: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(where the ids live, the id key, the parent key) of an OTLP or console span."""
    if "context" in span and isinstance(span["context"], dict):
        return span, "context", "parent_id"
    return span, "spanId", "parentSpanId"


def _span_id(span: dict[str, Any]) -> Any:
    holder, key, _ = _ids(span)
    return holder[key].get("span_id") if key == "context" else holder.get(key)


def _chain(rng: random.Random, values: list[Any], deep: bool = False) -> None:
    """A span its own parent, a cycle of two spans, or (``deep``) a 5,000-deep chain of children."""
    lists = _span_lists(values)
    if not lists:
        return
    spans = rng.choice(lists)
    dicts = [s for s in spans if isinstance(s, dict)]
    if not dicts:
        return
    kind = 2 if deep else rng.randrange(2)
    if kind == 0:
        span = rng.choice(dicts)
        span[_ids(span)[2]] = _span_id(span)
    elif kind == 1 and len(dicts) >= 2:
        a, b = rng.sample(dicts, 2)
        a[_ids(a)[2]], b[_ids(b)[2]] = _span_id(b), _span_id(a)
    else:
        template = rng.choice(dicts)
        parent = _span_id(template)
        template = _light(template)
        for k in range(5000):
            child = copy.copy(template)
            new = f"{k + 1:016x}"
            if "context" in child and isinstance(child["context"], dict):
                child["context"] = {**child["context"], "span_id": new}
            else:
                child["spanId"] = new
            child[_ids(child)[2]] = parent
            spans.append(child)
            parent = new


def _light(span: dict[str, Any]) -> dict[str, Any]:
    """A span's ids, name, times and its first attributes: a chain of 5,000 copies stays a few megabytes."""
    kept = {k: v for k, v in span.items() if k in ("name", "context", "spanId", "parentSpanId", "parent_id",
                                                      "start_time", "end_time", "startTimeUnixNano",
                                                      "endTimeUnixNano", "traceId")}
    attributes = span.get("attributes")
    if isinstance(attributes, dict):
        kept["attributes"] = dict(list(attributes.items())[:4])
    elif isinstance(attributes, list):
        kept["attributes"] = attributes[:4]
    return kept


def _mutate_tree(rng: random.Random, values: list[Any], paths: list[tuple[Any, ...]] | None = None) -> None:
    """One mutation at a random slot (``paths``: the slots of the unmutated seed ``values`` is a copy of)."""
    if paths is not None:
        if not paths:
            return
        container, key = _slot_at(values, rng.choice(paths))
    else:
        slots = _all_slots(values)
        if not slots:
            return
        container, key = rng.choice(slots)
    op = rng.randrange(9)
    current = container[key]
    if op == 0 or (op == 1 and isinstance(current, (int, float))):
        container[key] = rng.choice(HOSTILE_NUMBERS)
    elif op == 1:
        container[key] = rng.choice(HOSTILE_VALUES)
    elif op == 2:
        if isinstance(container, dict):
            del container[key]
        elif len(container) > 1:
            container.pop(key)
    elif op == 3 and isinstance(container, list):
        container.insert(key, copy.deepcopy(current))
    elif op == 3:
        container[f"{key}_dup"] = current
    elif op == 4 and isinstance(current, (int, float)) and not isinstance(current, bool):
        container[key] = -abs(current) if current else -1
    elif op == 4:
        container[key] = rng.choice([str(current)[:50], [current], {"value": current}])
    elif op == 5:
        _chain(rng, values)
    elif op == 6:  # nested deeper than json.dumps goes: spliced into the text by _serialize
        container[key] = f"@@deep{rng.choice((50, 3000, 100_000))}@@"
    elif op == 7 and isinstance(current, (int, float)) and not isinstance(current, bool):
        container[key] = current * rng.choice((1000.0, 1e-3, 1e6, -1.0))
    elif isinstance(current, str):
        container[key] = current + rng.choice(("\x1b]0;pwn\x07", "\r", "\x00", "\u2028", "\x9b31m", "\ufeff"))
    else:
        container[key] = str(current)[:40]


_LOG = "2026-12-07 12:00:00,001 INFO livekit.agents: starting worker {\"version\": \"1.8.9\"}\n"


def _serialize(rng: random.Random, values: list[Any], name: str) -> bytes:
    pretty = name.endswith("console.jsonl") or rng.random() < 0.1
    text = "\n".join(json.dumps(v, indent=4 if pretty else None) for v in values) + "\n"
    text = text.replace("Infinity", rng.choice(("Infinity", "1e400"))) if rng.random() < 0.5 else text
    text = re.sub(r'"@@deep(\d+)@@"', lambda m: "[" * int(m[1]) + "1" + "]" * int(m[1]), text, count=1)
    text = text.replace('"@@deep', '"deep')
    op = rng.randrange(12)
    if op == 0:
        text = "\ufeff" + text
    elif op == 1:
        text = text.replace("\n", "\r\n")
    elif op == 2:
        text = _LOG + text
    elif op == 3:
        text = text[: rng.randrange(1, max(2, len(text)))]
    elif op == 4:
        number = re.search(r"\d{3,}", text)
        if number:
            text = text[: number.start()] + "9" * 5000 + text[number.end():]
    elif op == 5:
        lines = text.splitlines(keepends=True)
        k = rng.randrange(len(lines))
        text = "".join(lines[:k] + [lines[k]] * rng.randrange(2, 5) + lines[k:])
    data = text.encode("utf-8")
    if op == 6 and data:
        k = rng.randrange(len(data))
        data = data[:k] + bytes([data[k] ^ (1 << rng.randrange(8))]) + data[k + 1:]
    return data


# -- what a finished case must satisfy ---------------------------------------------------------------------------
def _impossible(imported: Any) -> str | None:
    """The first impossible value an import accepted, or None."""
    for record in imported.records:
        figures = {"voice_to_voice": record.voice_to_voice, **record.components,
                   **{f"part {p.name}": p.seconds for p in record.parts},
                   **{f"feature {k}": v for k, v in record.features.items()}}
        for name, value in figures.items():
            low = -TOLERANCE_S if name == "other" else 0.0
            if value is not None and not (isinstance(value, float | int) and low <= value <= MAX_LATENCY_S):
                return f"{record.where}: {name} = {value!r}"
        for name, t in record.events.items():
            if not (isinstance(t, float | int) and math.isfinite(t)):
                return f"{record.where}: event {name} = {t!r}"
    return None


class Hang(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Hang


def _case(path: Path, data: bytes, full: bool) -> str:
    """Run one input; "imported" or "refused"; raises on anything a user must never see."""
    path.unlink(missing_ok=True)  # a new file each time: rewriting one in place makes ext4 flush it to disk
    path.write_bytes(data)
    try:
        imported = load(path)
    except ImportProblem as exc:
        message = str(exc)
        assert "\n" not in message and not CONTROL.search(message), f"refusal not one clean line: {message!r}"
        return "refused"
    problem = _impossible(imported)
    assert problem is None, f"impossible value accepted: {problem}"
    if full:
        analysis = analyze(imported)
        text = report(analysis)
        assert not CONTROL.search(text.replace("\n", "")), "control characters reach the terminal"
        json.dumps(analysis.as_dict(), allow_nan=False)
        if imported.trace is not None:
            vl.turn_metrics(imported.trace, 0) if imported.trace.turns else None
    return "imported"


def _cases(name: str) -> Iterator[tuple[int, bytes]]:
    seed_text = json.dumps(_seed(name))
    paths = _paths(json.loads(seed_text))
    for k in range(CASES):
        rng = random.Random(f"{name}:{k}")
        values = json.loads(seed_text)
        for n in range(rng.choice((1, 1, 2, 3))):
            _mutate_tree(rng, values, paths if n == 0 else None)
        if k in DEEP_CHAINS:
            _chain(rng, values, deep=True)
        yield k, _serialize(rng, values, name)


@pytest.mark.parametrize("name", SEEDS)
def test_no_mutated_file_breaks_an_importer(name: str, tmp_path: Path) -> None:
    outcomes = {"imported": 0, "refused": 0}
    path = tmp_path / ("fuzz" + (Path(name).suffix or ".json"))
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for k, data in _cases(name):
            signal.alarm(CASE_LIMIT_S)
            try:
                outcomes[_case(path, data, k % REPORT_EVERY == 0)] += 1
            except Hang:
                pytest.fail(f"{name} case {k} (seed '{name}:{k}') still running after {CASE_LIMIT_S} s")
            except AssertionError as exc:
                raise AssertionError(f"{name} case {k} (seed '{name}:{k}'): {exc}") from None
            except Exception as exc:  # noqa: BLE001 - a traceback is exactly what this test finds
                raise AssertionError(f"{name} case {k} (seed '{name}:{k}'): {type(exc).__name__}: {exc}") from exc
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert sum(outcomes.values()) == CASES
    assert outcomes["imported"] > 0, f"no mutated {name} imported at all: the mutations are too blunt to test it"


def test_the_seeds_import() -> None:
    """Each cut-down seed is itself a valid input of its format (so mutations reach the importer's depths)."""
    for name in SEEDS:
        data = "\n".join(json.dumps(v) for v in _seed(name)).encode()
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"voicelab-seed-{os.getpid()}.json"
        path.write_bytes(data)
        try:
            assert load(path).records, name
        finally:
            path.unlink()


# -- streams, devices, sizes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_end_in_one_line(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    with pytest.raises(ImportProblem) as info:
        load(device)
    assert device in str(info.value) and "\n" not in str(info.value)


def test_a_fifo_without_a_writer_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ImportProblem, match="did not end"):
        load(fifo)


def test_an_endless_fifo_ends_in_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as out:  # blocks until the reader opens it
            line = (FIXTURES / "livekit_metrics.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n"
            try:
                while not stop.is_set():
                    out.write(line)
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        with pytest.raises(ImportProblem, match="did not end|larger than"):
            load(fifo)
    finally:
        stop.set()
        writer.join(timeout=5)


def test_a_fifo_that_ends_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    text = (FIXTURES / "pipecat_breakdowns.jsonl").read_text(encoding="utf-8")

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as out:
            out.write(text)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert len(load(fifo).records) == len(load(FIXTURES / "pipecat_breakdowns.jsonl").records)
    writer.join(timeout=5)


def broken_lines(n: int) -> str:
    """``n`` lines of broken JSON (each opens an object it never closes) and one good record last."""
    good = (FIXTURES / "deepgram_latency.jsonl").read_text(encoding="utf-8").splitlines()[0]
    return '{"total_latency": 1.0, "tts_latency": [\n' * n + good + "\n"


def test_many_broken_lines_are_each_skipped(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(broken_lines(20_000), encoding="utf-8")
    started = time.monotonic()
    imported = load(path)
    assert len(imported.records) == 1 and imported.skipped.total == 20_000
    assert time.monotonic() - started < 60  # a guard against a quadratic parse hanging CI, not a speed target


def test_a_bom_keeps_the_first_record(tmp_path: Path) -> None:
    text = (FIXTURES / "pipecat_breakdowns.jsonl").read_text(encoding="utf-8")
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert len(load(path).records) == len(load(FIXTURES / "pipecat_breakdowns.jsonl").records)
    assert load(path).skipped.total == 0


def test_a_leading_log_line_does_not_defeat_detection(tmp_path: Path) -> None:
    for name in ("livekit_console.jsonl", "pipecat_otlp.json", "livekit_metrics.jsonl"):
        path = tmp_path / name
        path.write_text(_LOG + (FIXTURES / name).read_text(encoding="utf-8"), encoding="utf-8")
        imported = load(path)
        assert imported.format == load(FIXTURES / name).format, name
        assert len(imported.records) == len(load(FIXTURES / name).records)


def test_terminal_text_from_a_file_is_escaped(tmp_path: Path) -> None:
    values = _raw("livekit_history.json")
    for item in values[0]["items"]:
        if item.get("role") == "user":
            item["content"] = ["\x1b]0;owned\x07\x1b[2J line \x9b31m"]
    path = tmp_path / "history.json"
    path.write_text("\n".join(json.dumps(v) for v in values), encoding="utf-8")
    text = report(analyze(load(path)))
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b" in text or "\\u001b" in text or "^[" in text or "ESC" in text
