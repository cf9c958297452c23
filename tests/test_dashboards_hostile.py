"""Every dashboard against hostile input: each constructor argument, each set() value and what the page reports.

A bad value is a ConfigError naming the field, quoting what it got and saying what is accepted (``True`` is not a
number); a refused set() changes nothing (widgets, chart and numbers stay as they were). Bounded: a few dozen
values per dashboard, the Monte Carlo dashboard at 100 turns.
"""

from __future__ import annotations

import math

import pytest

from voicelab import dashboards as d
from voicelab.dashboards.chart_view import MAX_BOX_PX, MAX_DPR, ChartView
from voicelab.engine.validation import ConfigError

# Not a number in any accepted range, or not the right kind of thing at all.
NOT_NUMBERS = [None, True, False, "2", [1], {"a": 1}, float("nan"), math.inf, 10**400, object()]
NOT_NAMES = [None, True, 3, [1], {"a": 1}, ("fixed",), object()]


def _value_id(value: object) -> str:
    """A test id that is the same in every process (a bare object's repr holds its address)."""
    return "object()" if type(value) is object else repr(value)


def _refused(call, field: str) -> str:
    with pytest.raises(ConfigError) as info:
        call()
    message = str(info.value)
    assert field in message and ("got" in message or "unknown" in message), message  # the field, what it got
    assert any(word in message for word in ("must", "one of", "controls:", "known")), message  # and what it takes
    assert len(message) < 400
    return message


@pytest.fixture(scope="module")
def budget():
    return d.budget_dashboard(texts=["Hi there.", "Book a table."])


@pytest.fixture(scope="module")
def turn_taking():
    return d.TurnTakingDashboard("fixed", turns=40)


@pytest.fixture(scope="module")
def tail():
    return d.tail_dashboard(turns=100)


@pytest.fixture(scope="module")
def barge_in():
    return d.interruption_dashboard()


# -- constructors ------------------------------------------------------------------------------------------

CONSTRUCTOR_NUMBERS = [
    (d.chunk_dashboard, "asr_overhead_s", "asr.overhead_s"),
    (d.endpoint_dashboard, "pause_s", "caller.pause_s"),
    (d.endpoint_dashboard, "endpoint_silence_s", "vad.endpoint_silence_s"),
    (d.interruption_dashboard, "after_s", "barge_in.after_s"),
    (d.interruption_dashboard, "burst_s", "barge_in.burst_s"),
    (d.interruption_dashboard, "min_speech_s", "vad.min_speech_s"),
    (d.interruption_dashboard, "accuracy", "interruption.accuracy"),
    (lambda **kw: d.tail_dashboard(turns=100, **kw), "jitter", "jitter"),
    (d.tail_dashboard, "turns", "turns"),
    (lambda **kw: d.TurnTakingDashboard("fixed", **kw), "turns", "turns"),
]


@pytest.mark.parametrize("make,arg,field", CONSTRUCTOR_NUMBERS, ids=[f"{a}" for _, a, _ in CONSTRUCTOR_NUMBERS])
@pytest.mark.parametrize("value", NOT_NUMBERS, ids=_value_id)
def test_a_constructor_number_that_is_not_one_is_refused_naming_it(make, arg, field, value):
    _refused(lambda: make(**{arg: value}), field)


@pytest.mark.parametrize("make,arg,field", [
    (d.turn_taking_dashboard, "policy", "policy"),
    (d.tail_dashboard, "tail", "tail"),
    (d.tail_dashboard, "knob", "stage parameter"),
    (d.budget_dashboard, "preset", "preset"),
    (d.tts_dashboard, "preset", "preset"),
    (d.budget_dashboard, "pipeline", "pipeline"),
    (d.interruption_dashboard, "mode", "interruption.mode"),
], ids=lambda x: x if isinstance(x, str) else "")
@pytest.mark.parametrize("value", NOT_NAMES, ids=_value_id)
def test_a_constructor_name_that_is_not_one_is_refused_naming_it(make, arg, field, value):
    _refused(lambda: make(**{arg: value}), field)


@pytest.mark.parametrize("make", [d.budget_dashboard, d.chunk_dashboard, d.endpoint_dashboard, d.tts_dashboard,
                                  d.interruption_dashboard])
@pytest.mark.parametrize("texts", [{"a": 1}, {"Hi there."}, 5, True, [3], ["ok", ""], b"hi", []], ids=repr)
def test_texts_that_are_not_a_list_of_sentences_are_refused(make, texts):
    _refused(lambda: make(texts=texts), "texts")


@pytest.mark.parametrize("make,args,field", [
    (d.stage_control, ("llm.ttft_s", "2"), "llm.ttft_s"),
    (d.stage_control, ("llm.ttft_s", True), "llm.ttft_s"),
    (d.stage_control, ("llm.ttft_s", -1), "llm.ttft_s"),
    (d.stage_control, (None,), "stage parameter"),
    (d.budget_control, (["voice_to_voice"],), "budget"),
    (d.budget_control, ("voice_to_voice", math.nan), "budget.voice_to_voice"),
    (d.jitter_control, (None,), "jitter"),
    (d.seed_control, (1.5,), "seed"),
    (d.turn_control, (0,), "n_turns"),
    (d.turn_control, (3, 3), "turn"),
    (d.after_control, ("0.5",), "barge_in.after_s"),
    (d.burst_control, (5,), "barge_in.burst_s"),
    (d.turns_control, (True,), "turns"),
    (d.Control, ("x", "x", 0, 1, 0, 0.5), "step"),
    (d.Control, ("x", "x", 1, 0, 0.1, 0.5), "end"),
    (d.Scenario, ("seed", None, "streaming", 5), "changes"),
    (d.Scenario, ("seed", None, "streaming", (("llm.fast", 1),)), "llm.fast"),
    (d.Dashboard, ("t", "seed", {"a": ["llm.ttft_s"]}, d.dashboard_rows), "scenario"),
    (d.Dashboard, ("t", d.Scenario(), ["llm.ttft_s"], d.dashboard_rows), "groups"),
    (d.Dashboard, ("t", d.Scenario(), {"a": ["llm.ttft_s"]}, None), "rows"),
], ids=lambda x: getattr(x, "__name__", None))
def test_the_parts_dashboards_are_built_from_refuse_bad_arguments(make, args, field):
    _refused(lambda: make(*args), field)


# -- set() -------------------------------------------------------------------------------------------------

def _state(dash) -> tuple:
    widgets = getattr(dash, "sliders", {})
    extra = (dash.policy_box.value, tuple(sorted(dash.point.items()))) if hasattr(dash, "policy_box") else ()
    return (tuple((k, s.value, getattr(s, "min", None), getattr(s, "max", None)) for k, s in widgets.items()),
            dash.png, *extra)


SET_CASES = {
    "budget": [{"llm.ttft_s": v} for v in NOT_NUMBERS] + [
        {"budget.voice_to_voice": True}, {"seed": 1.5}, {"turn": 2}, {"tts.clause_chars": 2.5}, {"nope": 1},
        {3: 1}, {"llm.ttft_s": 1.0, "llm.token_s": "fast"}, None, [("llm.ttft_s", 1.0)], "llm.ttft_s"],
    "turn_taking": [{"seed": v} for v in NOT_NUMBERS] + [{"policy": v} for v in NOT_NAMES] + [
        {"policy": "semantic", "accuracy": 5}, {"policy": "adaptive", "knob": 0.3},  # 0.3 fits fixed, not adaptive
        {"accuracy": True}, {"knob": "2"}, {"hesitation.rate": [0.5]}, {"speed": 1}, None, 5,
        {"policy": "dynamic", "dynamic.max_delay": 0.3},  # under the dynamic floor's default 0.5 s
        {"policy": "dynamic", "knob": 1.5, "dynamic.max_delay": 1.0}, {"dynamic.alpha": 0}, {"dynamic.alpha": True},
        {"dynamic.max_delay": "3"}, {"policy": "dynamic", "dynamic.alpha": 1.5}],
    "tail": [{"jitter": v} for v in NOT_NUMBERS] + [
        {"tail": None}, {"tail": ["pareto"]}, {"turns": 50}, {"turns": True}, {"jitter": 2.0, "tail": "weibull"},
        {"vad.endpoint_silence_s": "0.5"}, None, ["jitter"]],
    "barge_in": [{"barge_in.after_s": v} for v in NOT_NUMBERS] + [
        {"barge_in.burst_s": True}, {"vad.threshold": "high"}, {"vad.min_speech_s": -1},
        {"interruption.mode": "fast"}, {"interruption.mode": True}, {"interruption.mode": 3},
        {"interruption.mode": 0.5},
        {"interruption.accuracy": 0.4}, {"interruption.accuracy": True}, {"barge_in.backchannel": "yes"},
        {"barge_in.backchannel": 2}, {"interruption.mode": "vad", "interruption.accuracy": 2}],
}


@pytest.mark.parametrize("name", list(SET_CASES))
def test_a_refused_set_changes_nothing(name, request):
    dash = request.getfixturevalue(name)
    before = _state(dash)
    for values in SET_CASES[name]:
        with pytest.raises(ConfigError) as info:
            dash.set(values)
        assert "got" in str(info.value) or "unknown dashboard control" in str(info.value), (values, info.value)
        assert _state(dash) == before, values


def test_semantic_with_a_bad_accuracy_leaves_the_dropdown_and_the_chart_on_the_old_policy(turn_taking):
    turn_taking.set({"policy": "fixed", "knob": 0.6})
    png = turn_taking.png
    message = _refused(lambda: turn_taking.set({"policy": "semantic", "accuracy": 5}), "accuracy")
    assert "[0.5, 1]" in message
    assert turn_taking.policy_box.value == "fixed" and turn_taking.point["policy"] == "fixed"
    assert turn_taking.sliders["knob"].value == 0.6 and turn_taking.png == png
    turn_taking.set({"policy": "adaptive", "knob": 3.0})  # the knob is checked against the new policy's range
    assert turn_taking.point == {**turn_taking.point, "policy": "adaptive", "knob": "factor", "value": 3.0}


def test_true_is_not_a_number_anywhere(budget, turn_taking, tail):
    for dash, key in [(budget, "llm.ttft_s"), (budget, "seed"), (turn_taking, "seed"), (turn_taking, "accuracy"),
                      (tail, "jitter")]:
        assert "got True" in _refused(lambda dash=dash, key=key: dash.set({key: True}), key)


def test_good_values_still_move_the_sliders(budget, tail):
    budget.set({"llm.ttft_s": 1.5, "seed": 3})
    assert budget.values["llm.ttft_s"] == 1.5 and budget.values["seed"] == 3
    budget.reset()
    tail.set({"jitter": 2.0})
    assert tail.values["jitter"] == 2.0


# -- what the page reports ---------------------------------------------------------------------------------

def test_the_page_cannot_ask_for_an_enormous_chart():
    chart = ChartView()
    chart.box, chart.dpr, chart.font_px = [10**7, -40], 1e6, math.inf
    assert chart.box == [MAX_BOX_PX[0], 0] and chart.dpr == MAX_DPR and chart.font_px == 0.0
    chart.dpr = math.nan
    assert chart.dpr == 1.0


def test_dynamic_endpointing_refuses_a_ceiling_under_its_floor_as_the_policy_does(turn_taking):
    turn_taking.set({"policy": "fixed", "knob": 0.6})
    png = turn_taking.png
    message = _refused(lambda: turn_taking.set({"policy": "dynamic", "knob": 1.5, "dynamic.max_delay": 1.0}),
                       "dynamic.max_delay")
    assert "at least min_delay (1.5 s)" in message
    assert turn_taking.policy_box.value == "fixed" and turn_taking.png == png
    turn_taking.set({"policy": "dynamic", "dynamic.max_delay": 1.0, "dynamic.alpha": 0.5})
    policy = turn_taking.policy()
    assert (policy.name, policy.min_delay, policy.max_delay, policy.alpha) == ("dynamic", 0.5, 1.0, 0.5)
    assert "dynamic" in turn_taking.curves().curves  # its curve joins the four while it is the policy shown
    turn_taking.sliders["knob"].value = 1.5  # a slider moved past the ceiling: the charts stay, the notice says why
    assert "at least min_delay" in turn_taking.notice_text and turn_taking.point["value"] == 0.5


def test_the_interruption_mode_and_the_backchannel_are_chosen_by_name_or_index(barge_in):
    barge_in.set({"barge_in.backchannel": True, "interruption.mode": "vad"})
    assert "held" in barge_in.text() and barge_in.verdicts["agent stopped for it"] == "MISS"
    barge_in.set({"interruption.mode": 2, "interruption.accuracy": 1.0})
    assert barge_in.verdicts["agent stopped for it"] == "PASS"
    barge_in.set({"barge_in.backchannel": "next sentence", "interruption.mode": "stop at once"})
    assert "next sentence" in barge_in.text()


@pytest.mark.parametrize("value", [1, 0, "yes", None, [True]], ids=_value_id)
def test_a_backchannel_that_is_not_true_or_false_is_refused(value):
    assert "True or False" in _refused(lambda: d.interruption_dashboard(backchannel=value), "barge_in.backchannel")
