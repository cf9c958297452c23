"""The trace's vocabulary (voicelab.engine.vocabulary): names read as their strings, and no bare name comes back."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import voicelab as vl
from voicelab.budgets import budget_names
from voicelab.engine.trace import Mark
from voicelab.engine.v2v import PARTS
from voicelab.engine.vocabulary import EndReason, MarkName, SpanName, VadEvent
from voicelab.importers.records import EVENTS

PACKAGE = Path(vl.__file__).parent
NAMES = {n.value for n in (*MarkName, *SpanName, *VadEvent)}
# Other vocabularies that share some spellings: a budget (LatencyBudgets) named after the mark it ends at, a part
# of voice-to-voice (voicelab.engine.v2v), an imported record's events, and the trace meta key / pipeline setting
# "barge_in".
OTHER_VOCABULARIES = {*budget_names(), *PARTS, *EVENTS, "barge_in"}
# A name with "_" or " " that no other vocabulary uses is distinctive wherever it is written. Any other name (a common
# word such as "chunk" or "play", or a shared spelling) counts where a trace name is expected: a trace call, a
# Mark/Span, or a comparison with `.name`.
DISTINCTIVE = {n for n in NAMES if ("_" in n or " " in n) and n not in OTHER_VOCABULARIES}
TRACE_CALLS = {"mark", "add_span", "span", "first", "marks", "spans", "Mark", "Span"}


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


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
        if isinstance(node, ast.Call) and _called(node) in TRACE_CALLS:
            in_context |= {id(c) for arg in node.args for c in _strings(arg)}
        elif isinstance(node, ast.Compare) and any(map(_is_name_attr, [node.left, *node.comparators])):
            in_context |= {id(c) for side in [node.left, *node.comparators] for c in _strings(side)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in DISTINCTIVE or (id(node) in in_context and node.value in NAMES)):
            found.append((node.lineno, node.value))
    return sorted(found)


def test_no_bare_mark_or_span_name_outside_the_vocabulary():
    problems = [f"voicelab/{path.relative_to(PACKAGE).as_posix()}:{line}: {name!r}"
                for path in sorted(PACKAGE.rglob("*.py")) if path.name != "vocabulary.py"
                for line, name in bare_names(path.read_text(encoding="utf-8"))]
    assert not problems, "write these through voicelab.engine.vocabulary (MarkName, SpanName, VadEvent):\n" + \
        "\n".join(problems)


def test_the_scan_finds_a_bare_name():
    source = ('trace.mark("asr", "asr_complete")\nwith trace.span("asr", "chunk"): pass\nok = m.name == "play"\n'
              'end = metrics["end_of_utterance"]\nfirst = trace.first(0, "tts_first_chunk")\n')
    assert bare_names(source) == [(1, "asr_complete"), (2, "chunk"), (3, "play"), (4, "end_of_utterance"),
                                  (5, "tts_first_chunk")]
    # a common word, or a budget named after a mark, is not a trace name outside a trace context
    assert bare_names('trace.mark("asr", MarkName.ASR_COMPLETE)\nlabel = "chunk"\nbudget = "tts_first_chunk"\n') == []


def test_a_name_reads_prints_and_serialises_as_its_string():
    name = MarkName.TTS_FIRST_CHUNK
    assert name == "tts_first_chunk" and hash(name) == hash("tts_first_chunk")
    assert (str(name), f"{name}", repr(name)) == ("tts_first_chunk", "tts_first_chunk", "'tts_first_chunk'")
    assert {"tts_first_chunk": 1}[name] == 1
    mark = Mark("tts", name, 1.5, 0)
    assert repr(mark) == "Mark(stage='tts', name='tts_first_chunk', t=1.5, turn=0, attrs={})"
    assert json.dumps({name: [SpanName.TALKING_OVER]}) == '{"tts_first_chunk": ["talking over"]}'


def test_names_are_unique_within_each_enum():
    for enum in (MarkName, SpanName, VadEvent, EndReason):
        assert len({n.value for n in enum}) == len(enum)


def test_a_simulated_trace_speaks_only_the_vocabulary():
    result = vl.simulate(seed=3)
    marks = {m.name for m in result.trace.marks}
    spans = {s.name for s in result.trace.spans}
    assert marks <= {n.value for n in MarkName}
    assert spans <= {n.value for n in SpanName}


def test_no_two_public_classes_share_a_name():
    """``cli.Scenario`` and ``dashboards.Scenario`` were two different things under one name; keep names unique."""
    homes: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                homes.setdefault(node.name, []).append(path.relative_to(PACKAGE).as_posix())
    shared = {name: where for name, where in homes.items() if len(where) > 1}
    assert not shared, f"public classes defined twice (rename one): {shared}"
