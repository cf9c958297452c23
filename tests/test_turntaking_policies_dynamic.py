"""LiveKit's dynamic endpointing (``--endpointing dynamic``): the wait learns the caller's pauses."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab import simulate
from voicelab.cli.main import main
from voicelab.engine.config import StageConfigs
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.turntaking.hesitation import HESITANT_SENTENCES, HesitatingCaller, HesitationConfig
from voicelab.turntaking.measures import plan_turns, run_policy, tradeoff, turn_taking_metrics
from voicelab.turntaking.policies import POLICIES, DynamicEndpointing, FixedSilence, Pause, parse_policy

RNG = np.random.default_rng(0)
ANY_PAUSE = Pause(0.0, False, False)


def test_livekits_names_and_defaults():
    policy = DynamicEndpointing()
    assert policy.settings() == {"min_delay": 0.5, "max_delay": 3.0, "alpha": 0.9}
    assert POLICIES["dynamic"] is DynamicEndpointing and policy.knob == "min_delay"


def test_the_wait_is_livekits_moving_average_clamped_to_min_and_max():
    policy = DynamicEndpointing()
    assert policy.decide(ANY_PAUSE, RNG).wait_s == 0.5  # starts at min_delay
    policy.observe(1.5)  # 0.9 * 0.5 + 0.1 * 1.5
    assert policy.decide(ANY_PAUSE, RNG).wait_s == pytest.approx(0.6)
    policy.observe(1.6)  # 0.9 * 0.6 + 0.1 * 1.6
    assert policy.decide(ANY_PAUSE, RNG).wait_s == pytest.approx(0.7)
    for _ in range(30):
        policy.observe(0.05)  # short pauses pull it back, never under the floor
    assert policy.decide(ANY_PAUSE, RNG).wait_s == 0.5
    for _ in range(200):
        policy.observe(10.0)  # long ones push it up to the ceiling, no further
    assert policy.decide(ANY_PAUSE, RNG).wait_s == 3.0
    policy.reset()  # a new call starts from min_delay again
    assert policy.decide(ANY_PAUSE, RNG).wait_s == 0.5


def test_a_lower_alpha_learns_faster():
    slow, fast = DynamicEndpointing(alpha=0.9), DynamicEndpointing(alpha=0.5)
    for policy in (slow, fast):
        policy.observe(1.5)
    assert fast.decide(ANY_PAUSE, RNG).wait_s == pytest.approx(1.0)
    assert slow.decide(ANY_PAUSE, RNG).wait_s == pytest.approx(0.6)


def test_learning_cuts_off_fewer_hesitant_callers_than_the_same_fixed_wait():
    plans = plan_turns(600, HesitationConfig(rate=0.5), seed=3)
    fixed = run_policy(FixedSilence(0.3), plans)
    dynamic = run_policy(DynamicEndpointing(min_delay=0.3), plans)
    assert dynamic.cutoff_rate < fixed.cutoff_rate
    assert dynamic.median_delay > fixed.median_delay  # ... and pays for it with a longer wait


def test_it_has_a_tradeoff_curve():
    curve = tradeoff(turns=200, progress=False, policies=[DynamicEndpointing()]).curves["dynamic"]
    assert curve.values == DynamicEndpointing.knob_values
    assert curve.cutoff_rate[0] > curve.cutoff_rate[-1] and curve.median_delay[0] < curve.median_delay[-1]


@pytest.mark.parametrize("text, message", [
    ("dynamic:alpha=0", r"dynamic.alpha must be a number in \(0, 1\]"),
    ("dynamic:alpha=1.5", r"dynamic.alpha must be a number in \[0, 1\]"),
    ("dynamic:min_delay=-0.1", r"dynamic.min_delay must be a number in \[0, 10\] s"),
    ("dynamic:max_delay=0.2", r"dynamic.max_delay must be at least min_delay \(0.5 s\)"),
    ("dynamic:min_delay_s=0.3", "unknown setting dynamic.min_delay_s; dynamic has min_delay, max_delay, alpha"),
])
def test_bad_settings_name_the_range(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_policy(text)


def test_demo_endpointing_dynamic(capsys):
    assert main(["demo", "--endpointing", "dynamic:min_delay=0.3", "--hesitation", "0.4"]) == 0
    assert "turn-taking" in capsys.readouterr().out
    assert main(["demo", "--endpointing", "dynamic:alpha=0"]) == 2
    assert "dynamic.alpha must be a number in (0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize(("pause_s", "reply_s", "learnt"), [
    (0.9, 1.0, True),  # the caller spoke again before the reply started
    (1.4, 1.0, True),  # ... 0.4 s into it: within the current 0.5 s delay, an immediate interruption
    (1.6, 1.0, False),  # ... 0.6 s into it: a new turn, not a false end of the last one
    (3.3, 3.1, False),  # the reply started later than max_delay: not learnt
])
def test_a_cut_short_pause_is_learnt_as_livekit_learns_an_immediate_interruption(pause_s, reply_s, learnt):
    policy = DynamicEndpointing()
    policy.observe_cutoff(pause_s, reply_s)
    expected = 0.9 * 0.5 + 0.1 * pause_s if learnt else 0.5
    assert policy.decide(ANY_PAUSE, RNG).wait_s == pytest.approx(expected)


class _Recorder(HesitatingCaller):
    """A hesitating caller that keeps every turn's plan."""

    def __init__(self, hesitation: HesitationConfig) -> None:
        super().__init__(hesitation)
        self.plans: list = []

    def speak(self, *args, **kwargs):
        utterance = super().speak(*args, **kwargs)
        self.plans.append(self.last_plan)
        return utterance


class _Waits(DynamicEndpointing):
    """Dynamic endpointing that keeps every wait it decided on."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.waits: list[float] = []

    def decide(self, pause, rng):
        decision = super().decide(pause, rng)
        self.waits.append(decision.wait_s)
        return decision


@pytest.mark.parametrize("seed", range(4))
def test_over_a_call_the_pipeline_learns_what_the_fast_monte_carlo_learns(seed):
    """Several hesitant turns in one conversation: the delay learnt in one turn (including from a cut-off) is the
    next turn's wait, in the pipeline and in the fast walk alike. (0.455 s: off the 10 ms grid the pauses are
    drawn on, so no pause lasts exactly the wait, where the two break the tie differently.)"""
    caller = _Recorder(HesitationConfig(rate=0.3))
    stages = StageConfigs().with_params({"caller.chunk_ms": 20.0})
    texts = [HESITANT_SENTENCES[(seed + k) % 8] for k in range(6)]
    piped, walked = _Waits(0.455), _Waits(0.455)
    result = simulate(texts, pipeline=StreamingPipeline(caller=caller, endpointing=piped), stages=stages, seed=seed)
    fast = run_policy(walked, caller.plans, chunk_s=0.02)
    outcomes = []
    for turn in range(len(texts)):
        values = turn_taking_metrics(result.trace, turn)
        outcomes.append(values["false_cutoff"])
        assert bool(fast.cutoff[turn]) == values["false_cutoff"], turn
        if not values["false_cutoff"]:
            assert fast.delay[turn] == pytest.approx(values["endpoint_delay"], abs=1e-6), turn
    assert piped.waits == pytest.approx(walked.waits) and max(piped.waits) > 0.455  # both learnt, the same
    assert True in outcomes and False in outcomes


def test_a_lower_ceiling_sweeps_its_floor_only_up_to_the_ceiling():
    result = tradeoff([DynamicEndpointing(max_delay=1.0)], turns=50, progress=False)
    assert max(result.curves["dynamic"].values) == 1.0  # min_delay 1.5 and 2.0 would be refused
    assert DynamicEndpointing(min_delay=0.05, max_delay=0.05).sweep_values() == (0.05,)
