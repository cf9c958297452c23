"""Every class of bad input is refused with a ConfigError naming the field and its accepted range."""

from __future__ import annotations

import math

import pytest

import voicelab
from voicelab.analysis.experiments import monte_carlo
from voicelab.budgets import LatencyBudgets, budget_names
from voicelab.engine.config import AsrConfig, CallerConfig, LlmConfig, StageConfigs, TtsConfig, VadConfig
from voicelab.engine.validation import ConfigError

BAD_NUMBERS = [-0.1, -1, math.nan, math.inf, -math.inf, "0.5", None, True, [0.1]]


@pytest.mark.parametrize("name", budget_names())
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
def test_latency_budgets_reject_bad_values(name, value):
    with pytest.raises(ConfigError, match=rf"{name} must be a number in \[0, 60\] s"):
        LatencyBudgets(**{name: value})


def test_latency_budgets_reject_unknown_names_and_keep_the_tutorials_defaults():
    with pytest.raises(ConfigError, match="unknown budget 'latency'"):
        LatencyBudgets().replace(latency=1.0)
    with pytest.raises(TypeError):
        LatencyBudgets(latency=1.0)  # type: ignore[call-arg]
    tutorial = {"asr_processing": 0.1, "asr_finalization": 0.3, "llm_first_token": 0.5, "llm_token_generation": 0.02,
                "tts_first_chunk": 0.2, "tts_chunk_generation": 0.05, "time_to_first_audio": 1.0}
    assert {k: v for k, v in LatencyBudgets().as_dict().items() if k in tutorial} == tutorial


STAGE_CASES = [
    (CallerConfig, "chunk_ms", 0.0, "caller.chunk_ms"),
    (CallerConfig, "chunk_ms", -20.0, "caller.chunk_ms"),
    (CallerConfig, "words_per_minute", math.nan, "caller.words_per_minute"),
    (CallerConfig, "pause_s", math.inf, "caller.pause_s"),
    (VadConfig, "endpoint_silence_s", -0.5, "vad.endpoint_silence_s"),
    (VadConfig, "threshold", "high", "vad.threshold"),
    (AsrConfig, "rtf", -1.0, "asr.rtf"),
    (AsrConfig, "partial_every", 0, "asr.partial_every"),
    (AsrConfig, "partial_every", 2.5, "asr.partial_every"),
    (AsrConfig, "jitter", 0.5, "asr.jitter"),
    (LlmConfig, "ttft_s", math.nan, "llm.ttft_s"),
    (LlmConfig, "token_s", None, "llm.token_s"),
    (TtsConfig, "chars_per_second", 0.0, "tts.chars_per_second"),
    (TtsConfig, "chunk_ms", -math.inf, "tts.chunk_ms"),
]


@pytest.mark.parametrize(("config", "field", "value", "name"), STAGE_CASES,
                         ids=lambda c: getattr(c, "__name__", repr(c)))
def test_stage_configs_reject_bad_values(config, field, value, name):
    with pytest.raises(ConfigError, match=rf"{name} must be (a number|an integer) in [\[(]"):
        config(**{field: value})
    with pytest.raises(ConfigError, match=rf"{name} must be"):
        StageConfigs().with_params({name: value})


@pytest.mark.parametrize("key", ["asr", "asr.", "foo.rtf", "asr.speed", ".rtf", "tail"])
def test_stage_configs_reject_unknown_parameters(key):
    with pytest.raises(ConfigError, match="unknown"):
        StageConfigs().with_params({key: 1.0})


def test_stage_configs_reject_an_unknown_tail():
    with pytest.raises(ConfigError, match="tail must be one of lognormal, pareto"):
        StageConfigs(tail="gaussian")
    with pytest.raises(ConfigError, match="tail must be one of"):
        StageConfigs().with_jitter(1.5, "gaussian")


SIMULATE_CASES = [
    ({"texts": []}, "at least one"),
    ({"texts": ""}, "non-empty"),
    ({"texts": ["hello", "   "]}, "non-blank"),
    ({"texts": [3]}, "non-empty, non-blank string"),
    ({"pipeline": "batch"}, "pipeline must be one of original, streaming"),
    ({"preset": "fast"}, "unknown preset 'fast'"),
    ({"seed": -1}, "seed must be an integer"),
    ({"seed": 1.5}, "seed must be an integer"),
    ({"seed": math.nan}, "seed must be an integer"),
    ({"seed": "7"}, "seed must be an integer"),
]


@pytest.mark.parametrize(("kwargs", "message"), SIMULATE_CASES, ids=repr)
def test_simulate_rejects_bad_input_before_running(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        voicelab.simulate(**kwargs)


def test_simulate_rejects_an_unknown_clock():
    with pytest.raises(ValueError, match="clock must be one of virtual, realtime"):
        voicelab.simulate(clock="wall")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"turns": 0}, "turns must be an integer"), ({"turns": 2.5}, "turns must be an integer"),
    ({"turns": math.nan}, "turns must be an integer"), ({"jitter": 0.9}, "jitter must be a number in"),
    ({"jitter": math.inf}, "jitter must be"), ({"tail": "gaussian"}, "tail must be one of"),
    ({"seed": -3}, "seed must be"), ({"texts": [" "]}, "non-blank"),
], ids=repr)
def test_monte_carlo_rejects_bad_input(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        monte_carlo(**{"turns": 3, "progress": False, **kwargs})
