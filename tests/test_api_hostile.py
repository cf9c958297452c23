"""The Python API against hostile input: a bad value raises ConfigError naming the field and what it accepts,
up front, never OverflowError / IndexError / ZeroDivisionError or a half-finished run; a wrong type is refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import voicelab as vl
from voicelab import audio, dashboards, export, notebook, viz
from voicelab.analysis.experiments import MAX_TURNS, false_interruptions, monte_carlo, sweep
from voicelab.budgets import LatencyBudgets
from voicelab.engine.config import StageConfigs
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.report import budget_table
from voicelab.stages.asr import PARTIAL_CHARS
from voicelab.stages.caller import SimulatedCaller, Utterance
from voicelab.transport.legs import transport_metrics
from voicelab.turntaking.hesitation import HesitationConfig, ends_clause, plan_utterance
from voicelab.turntaking.interruptions import BargeIn, backchannel_lengths
from voicelab.tutorial import stages_from_budgets
from voicelab.viz.architecture import architecture_chart
from voicelab.viz.path import path_waterfall

HUGE = 10**400


@pytest.fixture(scope="module")
def result():
    return vl.simulate()


CASES = {
    "seed 10**400": (lambda r: vl.simulate(seed=HUGE), r"seed must be an integer in \[0, 4294967295\]"),
    "turns 10**400": (lambda r: monte_carlo(HUGE), r"turns must be an integer in \[1, 1000000\]"),
    "budget 10**400": (lambda r: LatencyBudgets(voice_to_voice=HUGE), r"voice_to_voice must be a number in \[0, 60\]"),
    "stage 10**400": (lambda r: StageConfigs().with_params({"asr.rtf": HUGE}), r"asr.rtf must be a number in"),
    "metrics(99)": (lambda r: r.metrics(99), r"turn must be an integer in \[0, 2\]; got 99"),
    "report(-1)": (lambda r: r.report(-1), r"turn must be an integer in \[0, 2\]"),
    "interruption('0')": (lambda r: r.interruption("0"), "turn must be an integer"),
    "no bursts": (lambda r: false_interruptions([0.1], []), "bursts: give at least one value"),
    "no min_speech": (lambda r: false_interruptions([], [0.1]), "min_speech: give at least one value"),
    "bursts as text": (lambda r: false_interruptions([0.1], "0.1"), "bursts must be a sequence of numbers"),
    "sweep values as text": (lambda r: sweep("asr.rtf", "0.1,0.2", 5), "values of asr.rtf must be a sequence"),
    "sweep value None": (lambda r: sweep("asr.rtf", [0.1, None], 5), r"values of asr.rtf\[1\]"),
    "sweep too many turns": (lambda r: sweep("asr.rtf", [0.1, 0.2], MAX_TURNS), "per value"),
    "clock": (lambda r: vl.simulate(clock="nope"), "clock must be one of virtual, realtime; got 'nope'"),
    "budgets as text": (lambda r: vl.simulate(budgets="fast"), "budgets must be a LatencyBudgets"),
    "stages as dict": (lambda r: vl.simulate(stages={"asr": {}}), "stages must be a StageConfigs"),
    "monte_carlo budgets": (lambda r: monte_carlo(10, budgets=0.8), "budgets must be a LatencyBudgets"),
    "monte_carlo extract": (lambda r: monte_carlo(10, extract="v2v"), "extract must be a function"),
    "sweep budgets": (lambda r: sweep("asr.rtf", [0.1], 5, budgets="fast"), "budgets must be a LatencyBudgets"),
    "StageConfigs(asr='x')": (lambda r: StageConfigs(asr="x"), "asr must be an AsrConfig; got 'x'"),
    "StageConfigs(tail=3)": (lambda r: StageConfigs(tail=3), "tail must be a str"),
    "barge_in=0.5": (lambda r: StreamingPipeline(barge_in=0.5), "barge_in must be None or a BargeIn"),
    "speculation=0.3": (lambda r: StreamingPipeline(speculation=0.3), "speculation must be None or a Speculation"),
    "pipeline object": (lambda r: vl.simulate(pipeline=3), "pipeline must be one of"),
    "preset list": (lambda r: vl.simulate(preset=["seed"]), "unknown preset"),
    "ten million turns": (lambda r: monte_carlo(10_000_000), r"turns must be an integer in \[1, 1000000\]"),
    "simulate(123)": (lambda r: vl.simulate(123), "texts must be a string or a list of strings"),
    "texts as a dict": (lambda r: vl.simulate(texts={"a": 1}), r"texts must be .*; got \{'a': 1\}"),
    "texts as a set": (lambda r: vl.simulate(texts={"Hi."}), "texts must be a string or a list"),
    "texts empty": (lambda r: vl.simulate(texts=[]), "texts must hold at least one caller turn"),
    "texts[1] a number": (lambda r: vl.simulate(texts=["Hi.", 3]), r"texts\[1\] must be a non-empty"),
    "with_params(None)": (lambda r: StageConfigs().with_params(None), "changes must be a mapping"),
    "with_params key 3": (lambda r: StageConfigs().with_params({3: 1}), "stage parameter must be a STAGE.PARAM"),
    "replace unknown": (lambda r: StageConfigs().llm.replace(speed=2), "unknown parameter llm.speed"),
    "turn_metrics(trace, 5)": (lambda r: vl.turn_metrics(r.trace, 5), r"turn must be an integer in \[0, 2\]; got 5"),
    "turn_metrics(None, 0)": (lambda r: vl.turn_metrics(None, 0), "trace must be a Trace"),
    "turn_metrics(trace, True)": (lambda r: vl.turn_metrics(r.trace, True), "turn must be an integer"),
    "budget_report budgets": (lambda r: vl.budget_report(r.trace, 0, "fast"), "budgets must be a LatencyBudgets"),
    "to_perfetto(None)": (lambda r: export.to_perfetto(None), "trace must be a Trace"),
    "to_perfetto name": (lambda r: export.to_perfetto(r.trace, 3), "process_name must be text"),
    "write_perfetto no dir": (lambda r: export.write_perfetto(r.trace, "/nonexistent/x.json"),
                              "cannot write '/nonexistent/x.json': No such file or directory"),
    "write_perfetto path 5": (lambda r: export.write_perfetto(r.trace, 5), "path of the perfetto file must be"),
    "to_csv a directory": (lambda r: export.to_csv(r.trace, "/"), "cannot write '/'"),
    "to_wav no dir": (lambda r: audio.to_wav(r, "/nonexistent/x.wav", turn=9), r"turn must be an integer in \[0, 2\]"),
    "render(turn='0')": (lambda r: audio.render(r, turn="0"), "turn must be an integer"),
    "pieces(None)": (lambda r: audio.pieces(None), "run must be a RunResult"),
    "gantt(ax=3)": (lambda r: viz.gantt(r, ax=3), "ax must be None or matplotlib Axes"),
    "gantt(budgets)": (lambda r: viz.gantt(r, budgets="tight"), "budgets must be None or a LatencyBudgets"),
    "budget_table dict": (lambda r: budget_table({"a": 1}), "result must be a RunResult or a budget report"),
    "budget_table turn": (lambda r: budget_table(r, 1.5), "turn must be an integer"),
    "budget_rows(None)": (lambda r: dashboards.budget_rows(None, 0), "result must be a RunResult"),
    "budget_rows names": (lambda r: dashboards.budget_rows(r, 0, ["speed"]), "names must be None or a list"),
    "path_waterfall(None)": (lambda r: path_waterfall(None), "run must be a RunResult"),
    "path_waterfall title": (lambda r: path_waterfall(r, title=5), "title must be text"),
    "architecture_chart(3)": (lambda r: architecture_chart(3), "pipeline must be None or a pipeline"),
    "stages_from_budgets": (lambda r: stages_from_budgets(None), "budgets must be a LatencyBudgets"),
    "notebook setup dpi": (lambda r: notebook.setup(dpi=True), r"dpi must be an integer in \[20, 400\]"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_value_is_a_config_error_naming_the_field_and_range(result, case):
    call, message = CASES[case]
    with pytest.raises(ConfigError, match=message) as info:
        call(result)
    assert len(str(info.value)) < 300  # the message quotes a short form of the value, never 400 digits


def test_valid_calls_still_work(result):
    assert result.metrics(2)["voice_to_voice"] is not None
    assert sweep("asr.rtf", (0.1, np.float64(0.2)), 3).values == (0.1, 0.2)
    assert false_interruptions([0.0], [0.05]).rates == (1.0,)
    assert StreamingPipeline(barge_in=BargeIn(0.5)).barge_in == BargeIn(0.5)


class _CountingEnds(tuple):
    """word_ends that count how often they are walked through, hashed (lru_cache keys) or indexed."""

    walks = hashes = items = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()

    def __hash__(self):
        type(self).hashes += 1
        return super().__hash__()

    def __getitem__(self, k):
        type(self).items += 1
        return super().__getitem__(k)


def _counting(ends) -> type[_CountingEnds]:
    counted = type("Counted", (_CountingEnds,), {})
    return counted(ends)


def test_words_by_is_a_lookup_not_a_walk_over_every_word():
    """Asked at every chunk of a long utterance, words_by must not walk (or hash) all the words each time."""
    text = " ".join(f"w{k}" for k in range(5000)) + "."
    spoken = SimulatedCaller().speak(text, StageConfigs().caller, np.random.default_rng(0))
    ends = _counting(spoken.word_ends)
    utterance = Utterance(spoken.text, spoken.samples, spoken.sample_rate, ends)
    times = np.linspace(0, spoken.speech_end + 0.5, 2000)
    got = [utterance.words_by(t) for t in times]
    last = [utterance.last_word_by(t) for t in times]
    counted = type(ends)
    assert counted.walks <= 3 and counted.hashes == 0 and counted.items <= len(times)  # built once, looked up
    for t, words, word in zip(times[::97], got[::97], last[::97], strict=True):  # what the plain filter gives
        said = [w for w, end in spoken.word_ends if end <= t + 1e-9]
        assert words == " ".join(said) and word == (said[-1] if said else "")


def test_words_by_with_word_ends_out_of_order_uses_the_plain_filter():
    utterance = Utterance("b a", np.zeros(10, np.float32), 16_000, (("b", 0.5), ("a", 0.2)))
    assert utterance.words_by(0.3) == "a" and utterance.words_by(0.6) == "b a"
    assert utterance.last_word_by(0.3) == "" and utterance.last_word_by(0.6) == "a"  # the words before "b" ends


def test_a_hesitating_plan_finds_each_pause_s_last_word_in_one_walk():
    """The pauses of a long hesitating utterance (each asks "do the words so far end a clause?") walk the words
    once, not once per pause."""
    text = " ".join("word." if k % 5 == 4 else "word" for k in range(3000))
    plan = plan_utterance(text, StageConfigs().caller, HesitationConfig(rate=0.5), np.random.default_rng(1))
    ends = _counting(plan.word_ends)
    counted = dataclasses.replace(plan, word_ends=ends)
    pauses = counted.pauses()
    assert len(pauses) > 500 and type(ends).items <= 3 * (len(ends) + len(pauses))
    for start, _, finished in pauses[::50]:  # each pause judged on the last word spoken by it
        said = [w for w, end in plan.word_ends if end <= start + 1e-9]
        assert finished == ends_clause(said[-1] if said else "")


def test_a_long_utterance_s_partials_keep_the_trace_linear():
    """Every partial repeats the words before it: the trace keeps a partial's last PARTIAL_CHARS (and its
    length), the final transcript whole; 3,000 words give ~1,000 partials, not ~9 million characters of them."""
    words = 3000
    result = vl.simulate([" ".join(["word"] * words) + "."])
    partials = [m for m in result.trace.marks if m.name == "asr_partial"]
    assert len(partials) > 500
    assert all(len(m.attrs["text"]) <= PARTIAL_CHARS for m in partials)
    longest = max(partials, key=lambda m: m.attrs.get("chars", 0))
    assert longest.attrs["chars"] > 10_000 and longest.attrs["text"].startswith("…word word")
    assert result.trace.turns[0].transcript.split() == ["word"] * (words - 1) + ["word."]


# bool is not a number, at every public boundary that takes one (True == 1 would pass a bare range check)
BOOL_CASES = {
    "simulate seed": (lambda r: vl.simulate(seed=True), "seed must be an integer"),
    "monte_carlo turns": (lambda r: monte_carlo(True), "turns must be an integer"),
    "monte_carlo workers": (lambda r: monte_carlo(5, workers=True), "workers"),
    "sweep values": (lambda r: sweep("asr.rtf", [True], turns=2), "values"),
    "false_interruptions": (lambda r: false_interruptions([True], [0.1]), "min_speech"),
    "budgets": (lambda r: LatencyBudgets(voice_to_voice=True), "voice_to_voice must be a number"),
    "with_params": (lambda r: StageConfigs().with_params({"asr.rtf": True}), "asr.rtf must be a number"),
    "metrics turn": (lambda r: r.metrics(True), "turn must be an integer"),
    "hesitation rate": (lambda r: HesitationConfig(rate=True), "rate must be a number"),
    "barge_in after_s": (lambda r: BargeIn(after_s=True), "barge_in.after_s must be a number"),
    "barge_in backchannel": (lambda r: BargeIn(0.5, backchannel=1), "barge_in.backchannel must be True or False"),
    "audio pieces turn": (lambda r: audio.pieces(r, turn=True), "turn must be an integer"),
    "gantt turn": (lambda r: viz.gantt(r, turn=True), "turn must be an integer"),
    "tail dashboard jitter": (lambda r: dashboards.tail_dashboard(jitter=True), "jitter must be a number"),
    "transport_metrics turn True": (lambda r: transport_metrics(r.trace, True), "turn must be an integer"),
    "transport_metrics turn 99": (lambda r: transport_metrics(r.trace, 99), r"turn must be an integer in \[0, 2\]"),
    "transport_metrics turn '0'": (lambda r: transport_metrics(r.trace, "0"), "turn must be an integer"),
    "transport_metrics no trace": (lambda r: transport_metrics(None, 0), "trace must be a Trace"),
    "backchannel_lengths count True": (lambda r: backchannel_lengths(True, np.random.default_rng(0)), "count"),
    "backchannel_lengths count -1": (lambda r: backchannel_lengths(-1, np.random.default_rng(0)), "count"),
    "backchannel_lengths no rng": (lambda r: backchannel_lengths(2, None), "rng must be a numpy Generator"),
    "backchannel_lengths median True": (lambda r: backchannel_lengths(2, np.random.default_rng(0), median_s=True),
                                        "median_s must be a number"),
}


@pytest.mark.parametrize("case", sorted(BOOL_CASES))
def test_bool_and_other_non_numbers_are_refused_naming_the_field(result, case):
    call, message = BOOL_CASES[case]
    with pytest.raises(ConfigError, match=message):
        call(result)
