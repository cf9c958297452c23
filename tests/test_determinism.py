"""Same seed, same run; different seeds, different jittered runs; Monte Carlo turns are reproducible runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import voicelab
from voicelab.analysis.experiments import DEFAULT_JITTER, PERCENTILES, has_jitter, monte_carlo, turn_seeds
from voicelab.engine.validation import ConfigError
from voicelab.presets import get_preset

JITTERED = get_preset("seed").stages.with_jitter(1.8)


def _document(result: voicelab.RunResult) -> str:
    summary = result.summary()
    summary.pop("wall_s")
    return json.dumps({"summary": summary, "trace": result.trace.to_dict()}, sort_keys=True)


@pytest.mark.parametrize("pipeline", ["original", "streaming"])
@pytest.mark.parametrize("preset", ["seed", "production"])
def test_same_seed_gives_identical_json(pipeline, preset):
    first = voicelab.simulate(pipeline=pipeline, preset=preset, seed=42)
    second = voicelab.simulate(pipeline=pipeline, preset=preset, seed=42)
    assert _document(first) == _document(second)


def test_jittered_runs_depend_on_the_seed():
    a = voicelab.simulate(stages=JITTERED, seed=1)
    b = voicelab.simulate(stages=JITTERED, seed=2)
    assert _document(a) != _document(b)
    assert a.metrics(0)["voice_to_voice"] != b.metrics(0)["voice_to_voice"]
    assert _document(a) == _document(voicelab.simulate(stages=JITTERED, seed=1))


def test_without_jitter_the_seed_changes_no_timing():
    a, b = voicelab.simulate(seed=1), voicelab.simulate(seed=2)
    assert [a.metrics(t) for t in range(3)] == [b.metrics(t) for t in range(3)]


def test_turn_seeds_are_a_stable_prefix():
    assert list(turn_seeds(7, 5)) == list(turn_seeds(7, 50)[:5])
    assert len(set(turn_seeds(7, 1000).tolist())) == 1000


def test_monte_carlo_is_reproducible():
    a = monte_carlo(40, seed=3, progress=False)
    b = monte_carlo(40, seed=3, progress=False)
    c = monte_carlo(40, seed=4, progress=False)
    for name in a.metrics:
        np.testing.assert_array_equal(a.metrics[name], b.metrics[name])
    assert not np.array_equal(a.metrics["voice_to_voice"], c.metrics["voice_to_voice"])
    assert a.percentiles() == b.percentiles() and a.miss_rates() == b.miss_rates()


def test_each_monte_carlo_turn_is_the_same_as_a_single_simulation():
    result = monte_carlo(12, seed=5, preset="production", progress=False)
    for i in (0, 1, 7, 11):
        single = voicelab.simulate([result.text_of(i)], preset="production", stages=result.stages,
                                   seed=int(result.seeds[i]))
        for name, value in single.metrics(0).items():
            got = result.metrics[name][i]
            assert (value is None and math.isnan(got)) or value == got, (i, name)
        for name, verdict in single.report(0).items():
            got = result.budget_values[name][i]
            assert (verdict.value is None and math.isnan(got)) or verdict.value == got, (i, name)


def test_monte_carlo_statistics_follow_from_the_arrays():
    result = monte_carlo(60, seed=9, progress=False)
    v2v = result.metrics["voice_to_voice"]
    pct = result.percentiles()["voice_to_voice"]
    assert list(pct) == [f"p{q}" for q in PERCENTILES]
    assert pct["p50"] == pytest.approx(float(np.percentile(v2v, 50)), abs=1e-9)
    assert pct["p50"] <= pct["p90"] <= pct["p95"] <= pct["p99"]
    limit = result.budgets.voice_to_voice
    assert result.miss_rates()["voice_to_voice"] == pytest.approx(float(np.mean(v2v > limit + 1e-9)))
    summary = json.loads(json.dumps(result.summary()))
    assert {"turns", "seed", "wall_s", "percentiles", "miss_rates", "budgets"} <= set(summary)


def test_monte_carlo_adds_default_jitter_only_when_the_preset_has_none():
    assert not has_jitter(get_preset("seed").stages)
    assert monte_carlo(2, progress=False).stages.llm.jitter == DEFAULT_JITTER
    production = get_preset("production").stages
    assert monte_carlo(2, preset="production", progress=False).stages == production
    assert monte_carlo(2, preset="production", jitter=2.0, progress=False).stages.tts.jitter == 2.0
    assert monte_carlo(2, tail="pareto", progress=False).stages.tail == "pareto"


def test_monte_carlo_keeps_extra_values_and_traces_on_request():
    result = monte_carlo(5, seed=1, keep_traces=True, progress=False,
                         extract=lambda trace, turn: {"spans": float(len(trace.spans_of(turn)))})
    assert result.traces is not None and len(result.traces) == 5
    assert result.extra["spans"].tolist() == [float(len(t.spans_of(0))) for t in result.traces]


def test_the_first_turns_of_a_run_are_the_shorter_run():
    long, short = monte_carlo(30, seed=2, progress=False), monte_carlo(12, seed=2, progress=False)
    head = long.first(12)
    assert head.turns == 12 and head.seeds.tolist() == short.seeds.tolist()
    for field in ("metrics", "budget_values", "components"):
        got, want = getattr(head, field), getattr(short, field)
        assert list(got) == list(want)
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])
    assert head.percentiles() == short.percentiles() and head.miss_rates() == short.miss_rates()
    assert head.tail_attribution() == short.tail_attribution()
    assert len(long.metrics["voice_to_voice"]) == 30  # the run itself is unchanged
    with pytest.raises(ConfigError, match=r"turns must be an integer in \[1, 30\]; got 31"):
        long.first(31)
