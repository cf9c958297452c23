"""One endpointer: the fast turn-taking Monte Carlo (``run_policy``, no audio) and the full pipeline (audio through
the VAD and the policy endpointer) end the same turns at the same time, for every policy, over random hesitating
callers. Both run :class:`voicelab.turntaking.pause_walk.PauseWalk`; this checks they feed it the same pauses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicelab import simulate
from voicelab.engine.config import StageConfigs
from voicelab.pipelines import StreamingPipeline
from voicelab.turntaking.hesitation import HESITANT_SENTENCES, HesitatingCaller, HesitationConfig
from voicelab.turntaking.measures import response_seconds, run_policy, turn_taking_metrics
from voicelab.turntaking.pause_walk import PauseWalk
from voicelab.turntaking.policies import POLICIES, FixedSilence, Pause

VAD_STREAM = 1  # RunContext.rngs["vad"] is child 1 of SeedSequence(seed) (engine/context.py's _Streams)

callers = st.builds(
    HesitationConfig,
    rate=st.sampled_from([0.2, 0.5, 0.8, 1.0]),
    pause_median_s=st.sampled_from([0.2, 0.35, 0.5, 0.8]),
    pause_spread=st.sampled_from([1.0, 1.5, 2.5]),
    filler_share=st.sampled_from([0.0, 0.3, 1.0]),
    trailing_share=st.sampled_from([0.0, 0.5]),
)


def _policy(name: str, knob_index: int, accuracy: float):
    cls = POLICIES[name]
    policy = cls().with_knob(cls.knob_values[knob_index % len(cls.knob_values)])
    return policy.__class__(**{**policy.settings(), "accuracy": accuracy}) if "accuracy" in policy.settings() \
        else policy


@pytest.mark.parametrize("name", sorted(POLICIES))
@settings(max_examples=40, deadline=None)
@given(hesitation=callers, seed=st.integers(0, 10_000), sentence=st.integers(0, len(HESITANT_SENTENCES) - 1),
       chunk_ms=st.sampled_from([10.0, 20.0, 100.0]), knob=st.integers(0, 20),
       accuracy=st.sampled_from([0.6, 0.85, 1.0]))
def test_the_fast_path_and_the_pipeline_end_the_same_turns_at_the_same_time(name, hesitation, seed, sentence,
                                                                           chunk_ms, knob, accuracy):
    caller = HesitatingCaller(hesitation)
    stages = StageConfigs().with_params({"caller.chunk_ms": chunk_ms})
    pipeline = StreamingPipeline(caller=caller, endpointing=_policy(name, knob, accuracy))
    result = simulate([HESITANT_SENTENCES[sentence]], pipeline=pipeline, stages=stages, seed=seed)
    same_draws = np.random.default_rng(np.random.SeedSequence(seed).spawn(VAD_STREAM + 1)[VAD_STREAM])
    fast = run_policy(_policy(name, knob, accuracy), [caller.last_plan], chunk_s=chunk_ms / 1000,
                      rng=same_draws, response_s=response_seconds(stages))
    heard = turn_taking_metrics(result.trace, 0)
    assert bool(fast.cutoff[0]) == heard["false_cutoff"], (caller.last_plan.pauses(), heard)
    if not heard["false_cutoff"]:
        assert fast.delay[0] == pytest.approx(heard["endpoint_delay"], abs=1e-6)


@pytest.mark.parametrize("length", [0.39, 0.40, 0.41])
def test_a_pause_exactly_as_long_as_the_wait_ends_the_turn(length):
    """The one cut-off rule, at its boundary: the turn ends once the silence has lasted the wait."""
    walk = PauseWalk(FixedSilence(0.4), np.random.default_rng(0))
    walk.open(Pause(1.0, False, False))
    assert walk.ends_turn(length) is (length >= 0.40)
    assert walk.fires_at() == pytest.approx(1.4)


@pytest.mark.parametrize("rng", ["0", 0, np.random.SeedSequence(0)])
def test_run_policy_refuses_an_rng_that_is_no_generator_naming_it(rng):
    from voicelab.engine.validation import ConfigError
    from voicelab.turntaking.measures import plan_turns

    with pytest.raises(ConfigError, match=r"^rng must be None or a numpy Generator"):
        run_policy(FixedSilence(0.4), plan_turns(2), rng=rng)
