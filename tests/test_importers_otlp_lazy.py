"""OTLP JSON read lazily (msgspec, the [traces] extra) gives what the general reader gives: the same turns, the
same skips, the same refusals, on the real-run fixtures and on mutated files from the fuzz's generator; the files
it does not read exactly are left to the general reader; without msgspec the general reader reads them all."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import requires
from test_importers_fuzz import FIXTURES, _cases

from voicelab.importers import ImportProblem, load, otlp_lazy
from voicelab.importers.records import Skipped

pytestmark = requires("traces")
OTLP = ("livekit_otlp.json", "pipecat_otlp.json")


def _outcome(path: Path) -> Any:
    """Everything a user sees of an import: turns, skips, format and layout, or the refusal."""
    try:
        imported = load(path)
    except ImportProblem as exc:
        return f"refused: {exc}"
    return ([dataclasses.asdict(r) for r in imported.records], imported.skipped.as_dict(), imported.format,
            imported.layout)


def _general(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(otlp_lazy, "msgspec", None)
        return _outcome(path)


@pytest.mark.parametrize("name", OTLP)
def test_the_real_fixtures_read_lazily_give_the_same_turns(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert otlp_lazy.read_spans(text, Skipped(), detect=True) is not None  # the lazy reader takes it
    lazy = _outcome(FIXTURES / name)
    assert lazy == _general(FIXTURES / name, monkeypatch)
    assert len(lazy[0]) > 5


@pytest.mark.parametrize("name", OTLP)
def test_mutated_files_read_lazily_give_the_same_outcome(name: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "fuzz.json"
    taken = 0
    for k, data in _cases(name):
        if k % 3:
            continue
        path.unlink(missing_ok=True)
        path.write_bytes(data)
        text = data.decode("utf-8", errors="replace")
        taken += otlp_lazy.read_spans(text, Skipped(), detect=True) is not None
        assert _outcome(path) == _general(path, monkeypatch), f"{name} case {k} (seed '{name}:{k}')"
    assert 30 <= taken <= 90, f"{taken} of 100 mutated files read lazily: both readers must be exercised"


def _doc(attributes: str) -> str:
    return ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"a1","name":"turn","startTimeUnixNano":"1000",'
            f'"endTimeUnixNano":"2000","attributes":{attributes}}}]}}]}}]}}')


@pytest.mark.parametrize("text", [
    "log line first\n" + _doc("[]"),  # the general reader skips the log line and counts it
    "[" + _doc("[]") + "]",  # documents in a list
    _doc("[]") + " " + _doc("[]"),  # two on one line
    json.dumps(json.loads(_doc("[]")), indent=2) * 2,  # pretty-printed, one after another
    _doc("[]").replace('"1000"', "Infinity"),  # Python reads it, strict JSON does not
    _doc("[]").replace('"scopeSpans":[', '"scopeSpans":[7,'),  # a scope that is not an object
    '{"traceEvents": []}',  # another format
])
def test_files_it_does_not_read_exactly_are_left_to_the_general_reader(text: str) -> None:
    skipped = Skipped()
    assert otlp_lazy.read_spans(text, skipped, detect=True) is None
    assert skipped.total == 0


def test_attributes_are_read_as_the_general_reader_reads_them() -> None:
    spans, line = otlp_lazy.read_spans(_doc('[{"key":"x","value":{"doubleValue":1e400}},{"key":"y","value":'
                                            '{"intValue":"7"}},{"key":"y","value":{"intValue":"8"}},7]'),
                                       Skipped(), detect=True) or ({}, 0)
    assert line == 1 and spans["a1"].get("x") == float("inf")  # beyond a float: the standard library's value
    assert spans["a1"].get("y") == 7 and spans["a1"].get("z", "none") == "none"  # the first of a repeated key
    spans, _ = otlp_lazy.read_spans(_doc('[{"key":"y","value":{"intValue":"7"}},{"key":"y","value":'
                                         '{"intValue":"8"}}]'), Skipped(), detect=True) or ({}, 0)
    assert spans["a1"].get("y") == 7
