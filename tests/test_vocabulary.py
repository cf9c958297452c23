"""The trace's vocabulary (voicelab.vocabulary): names read as their strings, and no bare name comes back."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import voicelab as vl
from voicelab.trace import Mark
from voicelab.vocabulary import MarkName, SpanName, VadEvent

PACKAGE = Path(vl.__file__).parent
NAMES = {n.value for n in (*MarkName, *SpanName, *VadEvent)}
# A name with "_" or " " is distinctive wherever it is written; a one-word span name ("chunk", "speech", "play")
# is a common word, so it counts only where a trace name is expected (a trace call, a comparison with `.name`).
DISTINCTIVE = {n for n in NAMES if "_" in n or " " in n}
TRACE_CALLS = {"mark", "add_span", "span", "first", "marks", "spans"}

# The same spelling standing for something else (path under voicelab/, name) -> how many times it may appear.
OTHER_MEANINGS: dict[tuple[str, str], int] = {
    # budget names (LatencyBudgets fields), named after the mark they end at
    ("metrics.py", "llm_first_token"): 1,
    ("metrics.py", "tts_first_chunk"): 1,
    ("dashboards/tradeoffs.py", "tts_first_chunk"): 1,
    # the voice-to-voice component (experiments.COMPONENTS) ending at the first audio
    ("experiments.py", "tts_first_chunk"): 2,
    ("viz/distributions.py", "tts_first_chunk"): 1,
    # the barge-in settings, a key of the trace's meta and of a run's summary
    ("cli.py", "barge_in"): 1,
    ("simulate.py", "barge_in"): 3,
    ("pipelines/streaming.py", "barge_in"): 2,
    ("dashboards/barge_in.py", "barge_in"): 1,
    # imported records' own event names (importers.records.EVENTS) and the source formats' fields
    ("importers/records.py", "speech_end"): 1,
    ("importers/records.py", "llm_first_token"): 1,
    ("importers/events.py", "speech_end"): 3,
    ("importers/events.py", "llm_first_token"): 2,
    ("importers/events.py", "ttfb"): 2,
    ("importers/events.py", "ttft"): 1,
    ("importers/otel.py", "speech_end"): 11,
    ("importers/otel.py", "llm_first_token"): 2,
    ("importers/timeline.py", "speech_end"): 5,
    ("importers/timeline.py", "llm_first_token"): 2,
    ("importers/__init__.py", "ttfb"): 1,
}


def _is_name_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "name"


def _strings(node: ast.AST) -> list[ast.Constant]:
    """The string constants of ``node``, or of the tuple/list/set it is."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [n for n in items if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def bare_names(source: str) -> list[tuple[int, str]]:
    """(line, name) of each vocabulary name written as a bare string in ``source``."""
    found = []
    tree = ast.parse(source)
    in_context: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRACE_CALLS:
            in_context |= {id(c) for arg in node.args for c in _strings(arg)}
        elif isinstance(node, ast.Compare) and any(map(_is_name_attr, [node.left, *node.comparators])):
            in_context |= {id(c) for side in [node.left, *node.comparators] for c in _strings(side)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in DISTINCTIVE or (id(node) in in_context and node.value in NAMES)):
            found.append((node.lineno, node.value))
    return found


def test_no_bare_mark_or_span_name_outside_the_vocabulary():
    problems, counts = [], {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "vocabulary.py":
            continue
        for line, name in bare_names(path.read_text(encoding="utf-8")):
            counts[rel, name] = counts.get((rel, name), 0) + 1
            if counts[rel, name] > OTHER_MEANINGS.get((rel, name), 0):
                problems.append(f"voicelab/{rel}:{line}: {name!r}")
    assert not problems, "write these through voicelab.vocabulary (MarkName, SpanName, VadEvent):\n" + \
        "\n".join(problems)
    unused = {key: n for key, n in OTHER_MEANINGS.items() if counts.get(key, 0) < n}
    assert not unused, f"OTHER_MEANINGS allows more than the package writes; lower these: {unused}"


def test_the_scan_finds_a_bare_name():
    source = 'trace.mark("asr", "asr_complete")\nwith trace.span("asr", "chunk"): pass\nok = m.name == "play"\n'
    assert bare_names(source) == [(1, "asr_complete"), (2, "chunk"), (3, "play")]
    assert bare_names('trace.mark("asr", MarkName.ASR_COMPLETE)\nlabel = "chunk"\n') == []


def test_a_name_reads_prints_and_serialises_as_its_string():
    name = MarkName.TTS_FIRST_CHUNK
    assert name == "tts_first_chunk" and hash(name) == hash("tts_first_chunk")
    assert (str(name), f"{name}", repr(name)) == ("tts_first_chunk", "tts_first_chunk", "'tts_first_chunk'")
    assert {"tts_first_chunk": 1}[name] == 1
    mark = Mark("tts", name, 1.5, 0)
    assert repr(mark) == "Mark(stage='tts', name='tts_first_chunk', t=1.5, turn=0, attrs={})"
    assert json.dumps({name: [SpanName.TALKING_OVER]}) == '{"tts_first_chunk": ["talking over"]}'


def test_names_are_unique_within_each_enum():
    for enum in (MarkName, SpanName, VadEvent):
        assert len({n.value for n in enum}) == len(enum)


def test_a_simulated_trace_speaks_only_the_vocabulary():
    result = vl.simulate(turns=2, seed=3)
    marks = {m.name for m in result.trace.marks}
    spans = {s.name for s in result.trace.spans}
    assert marks <= {n.value for n in MarkName}
    assert spans <= {n.value for n in SpanName}
