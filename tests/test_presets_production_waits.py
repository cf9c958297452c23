"""A production agent's waits: TTS leading silence, tool calls, thinking, a filler, cold starts.

Each is a stage parameter (``tts.leading_silence_s``, ``llm.tool_call_s``, ``llm.thinking_s``, ``llm.filler``,
``llm.connect_s``, ``tts.connect_s``); at its default (0 / empty) a run is exactly what it was; set, it has its own
span (or mark) in the trace and moves voice-to-voice by its value.
"""

from __future__ import annotations

import json

import pytest

import voicelab as vl
from voicelab.analysis.experiments import COMPONENTS, component_names, monte_carlo, stage_components
from voicelab.cli.main import main
from voicelab.engine.config import LlmConfig, StageConfigs, TtsConfig, param_info
from voicelab.engine.validation import ConfigError
from voicelab.engine.vocabulary import MarkName, SpanName
from voicelab.metrics import production_metrics
from voicelab.pipelines import StreamingPipeline
from voicelab.presets import get_preset

SEED = get_preset("seed").stages
NEW_MARKS = {MarkName.TTS_FIRST_AUDIBLE, MarkName.FILLER_SENT}
NEW_SPANS = {SpanName.CONNECT, SpanName.TOOL_CALL, SpanName.THINKING, SpanName.LEADING_SILENCE}
EVERY_TURN = ("tts.leading_silence_s", "llm.tool_call_s", "llm.thinking_s")
FIRST_TURN = ("llm.connect_s", "tts.connect_s")


def _v2v(result: vl.RunResult) -> list[float]:
    return [result.metrics(t.index)["voice_to_voice"] for t in result.trace.turns]


BASE = _v2v(vl.simulate())


def test_at_the_defaults_no_new_name_enters_the_trace():
    trace = vl.simulate(pipeline=StreamingPipeline(barge_in=vl.turntaking.interruptions.BargeIn(0.5))).trace
    assert not {m.name for m in trace.marks} & NEW_MARKS
    assert not {s.name for s in trace.spans} & NEW_SPANS
    assert all(param_info(name)["default"] == 0.0 for name in EVERY_TURN + FIRST_TURN)
    assert param_info("llm.filler")["default"] == ""


@pytest.mark.parametrize("name", EVERY_TURN)
@pytest.mark.parametrize("value", [0.05, 0.2, 0.75])
def test_each_wait_grows_every_turns_voice_to_voice_by_exactly_its_value(name, value):
    result = vl.simulate(stages=SEED.with_params({name: value}))
    assert [round(v - b, 9) for v, b in zip(_v2v(result), BASE, strict=True)] == [value] * 3


@pytest.mark.parametrize("name", FIRST_TURN)
def test_a_cold_start_is_paid_once_on_the_conversations_first_request(name):
    result = vl.simulate(stages=SEED.with_params({name: 0.3}))
    assert [round(v - b, 9) for v, b in zip(_v2v(result), BASE, strict=True)] == [0.3, 0.0, 0.0]
    stage = name.partition(".")[0]
    connects = [s for s in result.trace.spans if s.name == SpanName.CONNECT]
    assert [(s.stage, s.turn, round(s.duration, 9)) for s in connects] == [(stage, 0, 0.3)]


def test_the_trace_keeps_first_byte_and_first_audible_audio_apart():
    result = vl.simulate(stages=SEED.with_params({"tts.leading_silence_s": 0.2}))
    trace = result.trace
    for turn in range(3):
        byte, audible = trace.first(turn, MarkName.TTS_FIRST_CHUNK), trace.first(turn, MarkName.TTS_FIRST_AUDIBLE)
        assert round(audible - byte, 9) == 0.2
        assert production_metrics(trace, turn)["tts_leading_silence"] == 0.2
    silences = [s for s in trace.spans if s.name == SpanName.LEADING_SILENCE]
    clauses = [s for s in trace.spans if s.name == SpanName.TTFB]
    assert len(silences) == len(clauses)  # every request's first chunk starts with it
    # the playback plays the silence: the first chunk is longer by 0.2 s
    plain = vl.simulate()
    first_play = [s for s in trace.spans if s.name == SpanName.PLAY][0]
    assert round(first_play.duration - [s for s in plain.trace.spans if s.name == SpanName.PLAY][0].duration, 9) == 0.2


def test_tool_call_and_thinking_are_their_own_spans_before_the_first_token():
    result = vl.simulate(stages=SEED.with_params({"llm.tool_call_s": 0.4, "llm.thinking_s": 0.25}))
    trace = result.trace
    llm = [s for s in trace.spans_of(0, "llm")]
    tool = next(s for s in llm if s.name == SpanName.TOOL_CALL)
    think = next(s for s in llm if s.name == SpanName.THINKING)
    ttft = next(s for s in llm if s.name == SpanName.TTFT)
    assert trace.first(0, MarkName.LLM_STARTED) == tool.start and tool.end == think.start and think.end == ttft.start
    assert (round(tool.duration, 9), round(think.duration, 9)) == (0.4, 0.25)
    assert ttft.end == trace.first(0, MarkName.LLM_FIRST_TOKEN)
    # the LLM's first-token budget counts them too: request -> first answer token
    assert result.report(0)["llm_first_token"].value == round(0.4 + 0.25 + SEED.llm.ttft_s, 9)


def _reply_ends(result: vl.RunResult) -> list[float]:
    return [round(result.trace.first(t.index, MarkName.PLAYBACK_FINISHED) - t.start, 9) for t in result.trace.turns]


@pytest.mark.parametrize(("tool_s", "later"), [(1.0, False), (0.1, True)])
def test_a_filler_hides_the_tool_call_from_voice_to_voice_and_delays_the_reply_if_it_is_longer(tool_s, later):
    """"One moment." lasts 0.55 s at the TTS's 20 characters a second: a 1 s tool call hides it (the reply ends
    when it did), a 0.1 s one does not (the answer waits for the filler to finish)."""
    tool = SEED.with_params({"llm.tool_call_s": tool_s})
    without = vl.simulate(stages=tool)
    with_filler = vl.simulate(stages=tool.with_params({"llm.filler": "One moment"}))
    assert all(a < b for a, b in zip(_v2v(with_filler), _v2v(without), strict=True))
    ends = list(zip(_reply_ends(with_filler), _reply_ends(without), strict=True))
    assert all((a > b) if later else (a == b) for a, b in ends)
    for turn in range(3):
        assert with_filler.trace.turns[turn].response.startswith("One moment. ")
        assert with_filler.trace.first(turn, MarkName.FILLER_SENT) == with_filler.trace.first(turn,
                                                                                            MarkName.LLM_STARTED)


@pytest.mark.parametrize("changes", [
    {"tts.leading_silence_s": 0.2},
    {"llm.tool_call_s": 0.3, "llm.thinking_s": 0.2, "llm.connect_s": 0.1, "tts.connect_s": 0.15},
    {"llm.tool_call_s": 0.8, "llm.filler": "Let me check.", "tts.leading_silence_s": 0.1},
])
def test_the_components_still_add_up_to_voice_to_voice(changes):
    stages = SEED.with_params(changes).with_jitter(1.6)
    result = vl.simulate(stages=stages, seed=4)
    for turn in range(3):
        parts = stage_components(result.trace, turn, component_names(stages))
        assert round(sum(v for v in parts.values() if v is not None), 6) == round(
            result.metrics(turn)["voice_to_voice"], 6)


def test_monte_carlo_names_the_waits_only_when_they_are_set():
    plain = monte_carlo(20, progress=False)
    assert tuple(plain.components) == COMPONENTS and not plain.extra
    stages = SEED.with_params({"llm.thinking_s": 0.6, "tts.leading_silence_s": 0.1})
    result = monte_carlo(60, stages=stages, jitter=1.5, progress=False)
    assert tuple(result.components) == ("endpoint_wait", "asr_final", "llm_thinking", "llm_inference",
                                        "first_clause", "tts_ttfb", "tts_leading_silence")
    assert set(result.extra) == {"llm_thinking", "tts_leading_silence"}
    assert result.tail_attribution().dominant == "llm_thinking"  # the jittered 0.6 s owns the tail


@pytest.mark.parametrize(("name", "value", "message"), [
    ("tts.leading_silence_s", -0.1, "tts.leading_silence_s must be a number in [0, 2] s"),
    ("tts.leading_silence_s", 2.5, "tts.leading_silence_s must be a number in [0, 2] s"),
    ("llm.tool_call_s", float("nan"), "llm.tool_call_s must be a number in [0, 30] s"),
    ("llm.thinking_s", 31, "llm.thinking_s must be a number in [0, 30] s"),
    ("llm.connect_s", -1, "llm.connect_s must be a number in [0, 10] s"),
    ("tts.connect_s", "fast", "tts.connect_s must be a number in [0, 10] s"),
    ("llm.filler", 3, "llm.filler must be text of at most 200 characters"),
    ("llm.filler", "x" * 201, "llm.filler must be text of at most 200 characters; got 201"),
    ("llm.filler", "One\nmoment", "llm.filler must be printable text"),
    ("llm.filler", "One moment.", "llm.filler is spoken while a tool runs: set llm.tool_call_s above 0"),
])
def test_bad_values_name_the_field_and_its_range(name, value, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SEED.with_params({name: value})


def test_the_configs_validate_on_construction():
    with pytest.raises(ConfigError, match="tts.leading_silence_s"):
        TtsConfig(leading_silence_s=-1)
    with pytest.raises(ConfigError, match="llm.filler"):
        LlmConfig(filler="Hold on.")
    assert StageConfigs(llm=LlmConfig(tool_call_s=0.5, filler="Hold on.")).llm.filler == "Hold on."


def test_the_original_pipeline_refuses_them():
    with pytest.raises(ConfigError, match="llm.thinking_s is not modelled by the original pipeline"):
        vl.simulate(pipeline="original", stages=SEED.with_params({"llm.thinking_s": 0.2}))


def test_demo_set_leading_silence_grows_voice_to_voice_by_its_value(capsys):
    assert main(["demo", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["demo", "--json", "--set", "tts.leading_silence_s=0.2"]) == 0
    silent = json.loads(capsys.readouterr().out)
    assert [round(b["metrics"]["voice_to_voice"] - a["metrics"]["voice_to_voice"], 9)
            for a, b in zip(plain["turns"], silent["turns"], strict=True)] == [0.2] * 3
    assert all(t["production"] == {"tts_leading_silence": 0.2} for t in silent["turns"])
    assert all("production" not in t for t in plain["turns"])


def test_demo_takes_a_filler_as_text(capsys):
    assert main(["demo", "--set", "llm.tool_call_s=0.5", "--set", "llm.filler=Let me look that up"]) == 0
    out = capsys.readouterr().out
    assert "replied: Let me look that up. Hello!" in out and "llm_tool_call" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "tts.leading_silence_s=-0.2"], "tts.leading_silence_s must be a number in [0, 2] s; got -0.2"),
    (["--set", "llm.tool_call_s=soon"], "llm.tool_call_s must be a number; got 'soon'"),
    (["--set", "llm.filler=Hold on."], "llm.filler is spoken while a tool runs"),
    (["--set", "llm.tool_call_s=1", "--set", "llm.filler=a", "--set", "llm.filler=b"],
     "--set llm.filler is given twice with different values"),
    (["--pipeline", "original", "--set", "tts.connect_s=0.1"], "tts.connect_s is not modelled by the original"),
])
def test_demo_refuses_bad_values_in_one_line(capsys, args, message):
    assert main(["demo", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# -- the greeting --------------------------------------------------------------------------------------------
GREETING = "Hi, this is Ada. How can I help?"


def _greeted(stages: StageConfigs = SEED) -> vl.RunResult:
    return vl.simulate(pipeline=StreamingPipeline(greeting=GREETING), stages=stages)


def test_a_greeting_is_measured_from_the_connect_and_is_no_caller_turn():
    from voicelab.engine.trace import GREETING_TURN
    from voicelab.metrics import greeting_metrics

    result = _greeted()
    values = greeting_metrics(result.trace)
    assert values["greeting_latency"] == SEED.tts.first_chunk_s  # straight to the TTS, as session.say
    assert values["greeting_s"] == round(len(GREETING) / SEED.tts.chars_per_second, 9)
    assert len(result.trace.turns) == 3 and _v2v(result) == BASE  # the caller's turns are as without it
    assert result.trace.first(GREETING_TURN, MarkName.CALL_CONNECTED) == 0.0
    finished = result.trace.first(GREETING_TURN, MarkName.PLAYBACK_FINISHED)
    assert result.trace.turns[0].start == round(finished + SEED.caller.gap_s, 9)  # the caller listened first
    assert greeting_metrics(vl.simulate().trace) is None
    assert "greeting" in result.summary() and "greeting" not in vl.simulate().summary()


def test_the_greeting_pays_the_tts_cold_start_and_the_first_turn_the_llms():
    stages = SEED.with_params({"tts.connect_s": 0.3, "llm.connect_s": 0.2, "tts.leading_silence_s": 0.1})
    from voicelab.metrics import greeting_metrics

    values = greeting_metrics(_greeted(stages).trace)
    assert values["greeting_latency"] == round(0.3 + SEED.tts.first_chunk_s + 0.1, 9)
    assert values["tts_first_chunk"] == round(0.3 + SEED.tts.first_chunk_s, 9)
    v2v = _v2v(_greeted(stages))
    assert [round(v - b, 9) for v, b in zip(v2v, BASE, strict=True)] == [0.3, 0.1, 0.1]  # LLM cold start + silence


@pytest.mark.parametrize(("greeting", "message"), [
    ("", "greeting must be a non-blank text"), ("   ", "greeting must be a non-blank text"),
    (3, "greeting must be text of at most 500 characters"), ("x" * 501, "at most 500 characters"),
    ("a\nb", "greeting must be printable text"),
])
def test_a_bad_greeting_is_refused(greeting, message):
    with pytest.raises(ConfigError, match=message):
        StreamingPipeline(greeting=greeting)


def test_demo_greeting(capsys):
    assert main(["demo", "--greeting", "Hi, I'm Ada.", "--set", "tts.connect_s=0.3"]) == 0
    assert "greeting (measured from the caller connecting; not a caller turn): first audible audio after 0.450 s" \
        in capsys.readouterr().out
    assert main(["demo", "--greeting", "hi", "--pipeline", "original"]) == 2
    assert "--greeting needs the streaming pipeline" in capsys.readouterr().err


# -- the production preset's waits ----------------------------------------------------------------------------
def test_production_keeps_its_timeline_and_carries_cited_waits():
    from voicelab.presets import PRESETS

    production, agent = PRESETS["production"], PRESETS["production_agent"]
    assert production.stages.llm.connect_s == 0.0 and production.waits  # the preset's own runs are unchanged
    for param, value, source in production.waits:
        stage, _, name = param.partition(".")
        assert getattr(getattr(agent.stages, stage), name) == value > 0
        assert "#" in source and "/" in source  # a repository and an issue or pull request
    assert agent.budgets == production.budgets and not agent.waits


def test_the_tail_attribution_names_a_cold_start_when_it_owns_the_tail():
    result = monte_carlo(300, preset="production_agent", progress=False)
    tail = result.tail_attribution()
    assert {"llm_connect", "tts_connect", "tts_leading_silence"} <= set(tail.excess)
    assert tail.dominant == "llm_connect"  # 0.8 s, jittered as the LLM's other waits
