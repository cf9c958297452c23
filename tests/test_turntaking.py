"""Turn-taking: the hesitating caller, endpointing policies in the pipeline and the fast Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab import simulate
from voicelab.engine.config import CallerConfig, StageConfigs
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.stages.caller import SimulatedCaller
from voicelab.turntaking.hesitation import HESITANT_SENTENCES, HesitatingCaller, HesitationConfig, plan_utterance
from voicelab.turntaking.measures import PolicyCurve, plan_turns, run_policy, tradeoff, turn_taking_metrics
from voicelab.turntaking.policies import (
    AdaptiveDelay,
    FixedSilence,
    MinMaxDelay,
    Pause,
    SemanticTurn,
    TurnModel,
    parse_policy,
)

CALM = HesitationConfig(rate=0.0, trailing_share=0.0)


def _eou(result):
    return [(m.turn, m.t) for m in result.trace.marks if m.name == "end_of_utterance"]


def test_fixed_policy_in_the_pipeline_matches_the_default_endpointer():
    default = simulate()
    fixed = simulate(pipeline=StreamingPipeline(endpointing=FixedSilence(StageConfigs().vad.endpoint_silence_s)))
    assert _eou(fixed) == _eou(default)
    assert [fixed.metrics(i) for i in range(3)] == [default.metrics(i) for i in range(3)]


def test_a_caller_who_never_hesitates_speaks_like_the_simulated_caller():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    text = "Hello, how are you today?"
    plain = SimulatedCaller().speak(text, CallerConfig(), rng_a)
    calm = HesitatingCaller(CALM).speak(text, CallerConfig(), rng_b)
    assert calm.word_ends == plain.word_ends
    assert len(calm.samples) == len(plain.samples)


def test_hesitation_draws_are_seeded_and_settable():
    a = plan_turns(50, HesitationConfig(rate=0.5), seed=3)
    b = plan_turns(50, HesitationConfig(rate=0.5), seed=3)
    assert [p.segments for p in a] == [p.segments for p in b]
    assert sum(len(p.pauses()) for p in a) > sum(len(p.pauses()) for p in plan_turns(50, CALM, seed=3))
    longer = plan_turns(50, HesitationConfig(rate=0.5, pause_median_s=1.0), seed=3)
    assert np.median([x[1] for p in longer for x in p.pauses()]) > np.median([x[1] for p in a for x in p.pauses()])
    trailing = plan_turns(10, HesitationConfig(trailing_share=1.0), seed=1)
    assert all(p.trailing and p.text.endswith("…") for p in trailing)
    fillers = plan_utterance(HESITANT_SENTENCES[0], CallerConfig(), HesitationConfig(rate=1.0, filler_share=1.0),
                             np.random.default_rng(0))
    assert any(word in ("um,", "uh,") for word, _ in fillers.word_ends)


def test_hesitation_rejects_out_of_range_settings():
    with pytest.raises(ConfigError, match=r"hesitation.rate must be a number in \[0, 1\]"):
        HesitationConfig(rate=1.5)


def test_a_short_timeout_cuts_a_hesitating_caller_off_and_the_agent_talks_over_them():
    pipeline = StreamingPipeline(caller=HesitatingCaller(HesitationConfig(rate=1.0, pause_median_s=0.6,
                                                                          pause_spread=1.0, filler_share=0.0)),
                                 endpointing=FixedSilence(0.2))
    result = simulate([HESITANT_SENTENCES[0]], pipeline=pipeline)
    values = turn_taking_metrics(result.trace, 0)
    assert values["false_cutoff"] is True
    assert values["endpoint_delay"] < 0
    assert values["talk_over_s"] > 0
    assert len(result.trace.turns[0].transcript.split()) < len(HESITANT_SENTENCES[0].split())
    patient = simulate([HESITANT_SENTENCES[0]], pipeline=StreamingPipeline(
        caller=HesitatingCaller(HesitationConfig(rate=1.0, pause_median_s=0.6, pause_spread=1.0, filler_share=0.0)),
        endpointing=FixedSilence(1.0)))
    assert turn_taking_metrics(patient.trace, 0)["false_cutoff"] is False
    assert turn_taking_metrics(patient.trace, 0)["talk_over_s"] == 0


def test_a_longer_timeout_never_cuts_off_more():
    plans = plan_turns(300, seed=2)
    rates = [run_policy(FixedSilence(t), plans).cutoff_rate for t in (0.1, 0.3, 0.6, 1.2)]
    assert rates == sorted(rates, reverse=True) and rates[0] > rates[-1]


def test_a_perfect_semantic_model_is_fooled_only_by_what_it_cannot_hear():
    # no full stop inside the sentences, every pause shorter than the fallback: a perfect model never cuts off
    calm_texts = [s for s in HESITANT_SENTENCES if "." not in s[:-1]]
    hesitation = HesitationConfig(rate=0.5, pause_spread=1.0, trailing_share=0.5)
    plans = plan_turns(200, hesitation, texts=calm_texts)
    run = run_policy(SemanticTurn(stop_s=0.1, accuracy=1.0), plans)
    assert run.cutoff_rate == 0.0
    # ... but a caller who trails off sounds unfinished: the model waits for the fallback
    trailing = np.array([p.trailing for p in plans])
    assert np.all(run.delay[trailing] >= 3.0 - 1e-9)
    assert np.all(run.delay[~trailing] < 0.2)


def test_turn_model_accuracy_is_the_share_of_right_verdicts():
    rng = np.random.default_rng(0)
    model = TurnModel(accuracy=0.8)
    done = np.mean([model.probability(Pause(1.0, True, True), rng) >= 0.5 for _ in range(4000)])
    not_done = np.mean([model.probability(Pause(1.0, False, False), rng) >= 0.5 for _ in range(4000)])
    assert done == pytest.approx(0.8, abs=0.03)
    assert not_done == pytest.approx(0.2, abs=0.03)


def test_adaptive_delay_learns_the_callers_pauses():
    policy = AdaptiveDelay(factor=2.0, initial_s=0.2, alpha=0.5)
    first = policy.decide(Pause(0.0, False, False), np.random.default_rng(0)).wait_s
    for _ in range(5):
        policy.observe(0.8)
    assert policy.decide(Pause(0.0, False, False), np.random.default_rng(0)).wait_s > first
    policy.reset()
    assert policy.decide(Pause(0.0, False, False), np.random.default_rng(0)).wait_s == first


def test_minmax_waits_long_when_the_model_says_not_done():
    policy = MinMaxDelay(min_delay_s=0.3, max_delay_s=2.0, accuracy=0.9999)
    rng = np.random.default_rng(0)
    assert policy.decide(Pause(1.0, True, True), rng).wait_s == 0.3
    assert policy.decide(Pause(1.0, False, False), rng).wait_s == 2.0
    with pytest.raises(ConfigError, match="max_delay_s"):
        MinMaxDelay(min_delay_s=2.0, max_delay_s=1.0)


def test_curve_reading_interpolates():
    curve = PolicyCurve("x", "k", (1, 2, 3), (0.2, 0.1, 0.0), (0.2, 0.4, 0.6), (0, 0, 0))
    assert curve.delay_at_cutoff(0.05) == pytest.approx(0.5)
    assert curve.cutoff_at_delay(0.3) == pytest.approx(0.15)
    assert curve.cutoff_at_delay(0.1) is None
    assert PolicyCurve("x", "k", (1,), (0.2,), (0.2,), (0,)).delay_at_cutoff(0.05) is None


def test_tradeoff_sweeps_every_policy_on_the_same_turns():
    result = tradeoff(turns=100, progress=False)
    assert set(result.curves) == {"fixed", "minmax", "adaptive", "semantic"}
    fixed = result.curves["fixed"]
    assert fixed.median_delay[0] < fixed.median_delay[-1]
    assert fixed.cutoff_rate[0] > fixed.cutoff_rate[-1]
    assert tradeoff(turns=100, progress=False).as_dict() == result.as_dict()


@pytest.mark.parametrize("text, message", [
    ("psychic", "must be one of fixed, minmax, adaptive, semantic"),
    ("fixed:timeout_s=-1", r"fixed.timeout_s must be a number in \[0, 10\] s"),
    ("semantic:accuracy=2", r"semantic.accuracy must be a number in \[0.5, 1\]"),
    ("minmax:speed=3", "unknown setting minmax.speed"),
    ("fixed:timeout_s", "KEY=VALUE"),
    ("fixed:timeout_s=abc", "must be a number"),
])
def test_bad_policies_name_the_range(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_policy(text)


def test_parse_policy_sets_knobs():
    policy = parse_policy("minmax:min_delay_s=0.3,accuracy=0.9")
    assert isinstance(policy, MinMaxDelay) and policy.min_delay_s == 0.3 and policy.accuracy == 0.9
