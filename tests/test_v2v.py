"""The one vocabulary of voice-to-voice parts (voicelab.engine.v2v): a name means one interval, the same interval
has one name, and the simulator, the importers, the charts and the CLI all speak it (no second vocabulary)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

import voicelab as vl
from voicelab import importers
from voicelab.analysis import analyze, experiments
from voicelab.budgets import budget_names
from voicelab.engine import v2v
from voicelab.engine.vocabulary import MarkName, SpanName
from voicelab.importers.timeline import trace_records
from voicelab.metrics import METRIC_NAMES, production_metrics

PACKAGE = Path(vl.__file__).parent
# Part names no other vocabulary spells (the production waits are also metrics and import features, measured by
# the same spans; "other" and "transcription" are common words).
DISTINCTIVE = set(v2v.PARTS) - set(METRIC_NAMES) - set(importers.FEATURES) - {"other", "transcription"}


def test_a_name_means_one_interval_and_an_interval_has_one_name():
    names = Counter(part.name for part in v2v._PARTS)
    assert [n for n, k in names.items() if k > 1] == []
    intervals = Counter((part.start, part.end) for part in v2v._PARTS if part.name != "other")
    assert [i for i, k in intervals.items() if k > 1] == []
    for part in v2v._PARTS:
        assert part.label.startswith(v2v.TITLES[part.name]) and "\n" not in part.means
        assert part.stage in ("vad", "asr", "llm", "tts", "other")


def test_no_part_is_named_like_a_budget_mark_or_span():
    """A budget, mark or span spelt like a part would be the same word for another interval or an instant."""
    others = {*budget_names(), *(n.value for n in MarkName), *(n.value for n in SpanName)}
    assert set(v2v.PARTS) & others == set()


def test_the_simulator_the_importers_and_the_charts_use_the_vocabulary():
    assert experiments.COMPONENT_ORDER == v2v.SIMULATED
    assert set(experiments.COMPONENTS) | set(experiments.OPTIONAL_COMPONENTS) == set(v2v.SIMULATED)
    assert importers.COMPONENTS == v2v.IMPORTED and importers.ADDITIVE == v2v.IMPORTED_ADDITIVE
    assert analyze.METRICS == ("voice_to_voice", *v2v.IMPORTED)
    for labels in (experiments.COMPONENT_LABELS, importers.COMPONENT_LABELS):
        assert all(label == v2v.LABELS[name] for name, label in labels.items())
    assert set(v2v.PARTS) == {*v2v.SIMULATED, *v2v.IMPORTED}


def test_the_same_interval_measured_both_ways_has_the_same_value():
    """A simulated turn split by the simulator and read back by the importer: the parts both name agree; the LLM's
    TTFT (from its request) holds the thinking that the simulator's llm_inference (from the end of it) does not."""
    stages = vl.presets.get_preset("seed").stages.with_params({"llm.thinking_s": 0.2, "tts.leading_silence_s": 0.05})
    run = vl.simulate(["Hello there.", "What time is it?"], stages=stages)
    records = trace_records(run.trace)
    for turn, record in enumerate(records):
        parts = experiments.stage_components(run.trace, turn)
        assert set(parts) <= set(v2v.SIMULATED) and set(record.components) == set(v2v.IMPORTED)
        for name in set(parts) & set(record.components):
            assert record.components[name] == pytest.approx(parts[name], abs=1e-9), name
        assert record.components["llm_ttft"] == pytest.approx(parts["llm_thinking"] + parts["llm_inference"],
                                                              abs=1e-9)
        assert parts["llm_thinking"] == pytest.approx(0.2, abs=0.05)


def test_a_production_wait_is_the_same_interval_as_a_part_and_as_a_metric():
    """The waits are parts of voice-to-voice, production metrics and import features under one name each."""
    waits = {"llm.connect_s": 0.15, "llm.tool_call_s": 0.3, "llm.thinking_s": 0.2, "tts.connect_s": 0.1,
             "tts.leading_silence_s": 0.05}
    run = vl.simulate(["Hello there."], stages=vl.presets.get_preset("seed").stages.with_params(waits))
    parts, metrics = experiments.stage_components(run.trace, 0), production_metrics(run.trace, 0)
    assert set(v2v.SIMULATED_OPTIONAL) == set(importers.FEATURES) <= set(parts)
    for name in v2v.SIMULATED_OPTIONAL:
        assert parts[name] == pytest.approx(metrics[name], abs=1e-9) and parts[name] > 0, name
    for name in v2v.SPANNED:
        assert [s.duration for s in run.trace.spans_of(0, v2v.PARTS[name].stage)
                if s.name == v2v.PARTS[name].span] == [pytest.approx(parts[name], abs=1e-9)], name


def test_every_imported_example_speaks_the_vocabulary():
    for path in sorted(importers.EXAMPLES.glob("*.json*")):
        try:
            imported = importers.load(path)
        except importers.ImportProblem:
            continue  # a fixture of a broken file
        assert {n for r in imported.records for n in r.components} == set(v2v.IMPORTED), path.name


def _literals(node: ast.AST) -> list[ast.AST]:
    """``node`` and the collection literals nested in it, not looking inside calls (a question's choices)."""
    if isinstance(node, ast.Dict):
        return [node, *(n for v in node.values for n in _literals(v))]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [node, *(n for e in node.elts for n in _literals(e))]
    return []


def declared_vocabularies(source: str) -> list[tuple[int, list[str]]]:
    """(line, names) of each module- or class-level literal holding two or more distinctive part names, as a
    tuple, list or set, or as the keys of a dict of strings (labels, stages): a vocabulary of parts declared
    outside voicelab.engine.v2v."""
    found = []
    tree = ast.parse(source)
    bodies = [tree.body, *(node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef))]
    for stmt in (s for body in bodies for s in body if isinstance(s, ast.Assign | ast.AnnAssign)):
        for node in _literals(stmt.value) if stmt.value is not None else []:
            if isinstance(node, ast.Dict):
                strings = all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values)
                items = node.keys if strings else []
            else:
                items = node.elts  # type: ignore[attr-defined]
            names = [n.value for n in items if isinstance(n, ast.Constant) and n.value in DISTINCTIVE]
            if len(names) >= 2:
                found.append((stmt.lineno, names))
    return sorted(found)


def test_no_second_vocabulary_of_parts_in_the_package():
    problems = [f"voicelab/{path.relative_to(PACKAGE).as_posix()}:{line}: {names}"
                for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "engine" / "v2v.py"
                for line, names in declared_vocabularies(path.read_text(encoding="utf-8"))]
    assert not problems, "name the parts through voicelab.engine.v2v:\n" + "\n".join(problems)


def test_the_scan_finds_a_second_vocabulary():
    source = ('COMPONENTS = ("endpoint", "llm_ttft", "tts_ttfb")\nclass A:\n    LABELS = {"asr_final": "x", '
              '"first_clause": "y"}\nPARTS = ("voice_to_voice", *v2v.IMPORTED)\n'
              'def f():\n    return ("endpoint_wait", "tts_ttfb")\n'
              'BUDGETS = {"llm_ttft": b.llm_first_token, "tts_ttfb": b.tts_first_chunk}\n'
              'Q = Question(choices=("llm_ttft", "tts_ttfb"))\n'
              'STAGES = [{"endpoint_wait": "vad", "tts_ttfb": "tts"}]\n')
    assert declared_vocabularies(source) == [(1, ["llm_ttft", "tts_ttfb"]), (3, ["asr_final", "first_clause"]),
                                             (9, ["endpoint_wait", "tts_ttfb"])]
