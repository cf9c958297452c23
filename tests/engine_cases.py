"""Engine equivalence cases: a digest of every virtual result the engine produces, old engine against new.

Each case runs one public entry point (a demo, a Monte Carlo, barge-in, a sweep) and hashes its whole
output: every trace as JSON, every per-turn array's bytes. ``tests/data/engine_golden.json`` holds the
digests computed by commit 1bcf903's engine (the last one with the worker-thread runner and the second
conversation loop); ``tests/test_engine_golden.py`` recomputes them with the current engine.

Regenerate (only when a change of the timeline is intended):
``PYTHONPATH=. python tests/engine_cases.py > tests/data/engine_golden.json``. This file uses only public
API that 1bcf903 already had, so it runs against that commit's tree too.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import voicelab as vl
from voicelab.analysis.experiments import false_interruptions, monte_carlo, speculation_tradeoff, sweep
from voicelab.pipelines import StreamingPipeline
from voicelab.presets import get_preset
from voicelab.stages.speculative import Speculation, speculation_metrics
from voicelab.turntaking.interruptions import BargeIn

TEXTS = ("Hello, how are you?", "What's the weather like today?", "What time is it?")


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=_plain).encode()).hexdigest()[:20]


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    raise TypeError(type(value))


def _run(**options: Any) -> str:
    return _hash(vl.simulate(**options).trace.to_dict())


# Voice-to-voice parts renamed since 1bcf903 (one vocabulary, voicelab.engine.v2v): hashed under the names that
# commit gave them, so a digest still compares the values.
_OLD_PART_NAMES = {"llm_inference": "llm_ttft", "tts_ttfb": "tts_first_chunk"}


def _mc(turns: int, **options: Any) -> str:
    result = monte_carlo(turns, progress=False, keep_traces=True, **options)
    components = {_OLD_PART_NAMES.get(name, name): values for name, values in result.components.items()}
    return _hash({"metrics": result.metrics, "budgets": result.budget_values, "extra": result.extra,
                  "components": components, "traces": [t.to_dict() for t in result.traces]})


def _stages(**params: float) -> vl.StageConfigs:
    return get_preset("seed").stages.with_params(params)


CASES: dict[str, Callable[[], str]] = {
    "demo streaming seed": lambda: _run(),
    "demo original seed": lambda: _run(pipeline="original"),
    "demo streaming production": lambda: _run(preset="production", seed=3),
    "demo streaming aggressive": lambda: _run(preset="aggressive", seed=5),
    "demo streaming jitter": lambda: _run(stages=get_preset("seed").stages.with_jitter(2.0), seed=11),
    "demo streaming pareto": lambda: _run(stages=get_preset("seed").stages.with_jitter(2.0, "pareto"), seed=12),
    "demo streaming chunk 20 ms": lambda: _run(stages=_stages(**{"caller.chunk_ms": 20.0}), seed=1),
    "demo streaming chunk 35 ms pauses": lambda: _run(
        stages=_stages(**{"caller.chunk_ms": 35.0, "caller.pause_s": 0.3, "asr.partial_every": 1}), seed=2),
    "demo streaming long endpoint": lambda: _run(
        stages=_stages(**{"vad.endpoint_silence_s": 3.5, "caller.trailing_silence_s": 2.0}), seed=4),
    "demo original chunk 40 ms": lambda: _run(pipeline="original", stages=_stages(**{"caller.chunk_ms": 40.0})),
    "barge-in speech": lambda: _run(pipeline=StreamingPipeline(barge_in=BargeIn(0.8))),
    "barge-in speech early": lambda: _run(pipeline=StreamingPipeline(barge_in=BargeIn(0.05)), seed=7),
    "barge-in speech late": lambda: _run(pipeline=StreamingPipeline(barge_in=BargeIn(4.0)), seed=8),
    "barge-in noise short": lambda: _run(pipeline=StreamingPipeline(barge_in=BargeIn(0.3, burst_s=0.05))),
    "barge-in noise long": lambda: _run(pipeline=StreamingPipeline(barge_in=BargeIn(0.3, burst_s=0.4)), seed=9),
    "barge-in noise min speech": lambda: _run(
        pipeline=StreamingPipeline(barge_in=BargeIn(0.5, burst_s=0.15)),
        stages=_stages(**{"vad.min_speech_s": 0.1}), seed=10),
    "barge-in speech jitter": lambda: _run(
        pipeline=StreamingPipeline(barge_in=BargeIn(0.5)),
        stages=get_preset("seed").stages.with_jitter(1.8), seed=13),
    "speculation": lambda: _run(pipeline=StreamingPipeline(speculation=Speculation(0.2)), preset="production"),
    "montecarlo seed": lambda: _mc(300),
    "montecarlo pareto": lambda: _mc(200, seed=1, jitter=2.0, tail="pareto"),
    "montecarlo production texts": lambda: _mc(150, seed=2, preset="production", texts=TEXTS),
    "montecarlo chunk 20 ms": lambda: _mc(100, seed=3, stages=_stages(**{"caller.chunk_ms": 20.0})),
    "montecarlo barge-in speech": lambda: _mc(150, seed=4, barge_in=BargeIn(0.5)),
    "montecarlo barge-in noise": lambda: _mc(150, seed=5, barge_in=BargeIn(0.4, burst_s=0.15)),
    "montecarlo speculation": lambda: _mc(
        100, seed=6, preset="production", extract=speculation_metrics,
        pipeline=lambda: StreamingPipeline(speculation=Speculation(0.3))),
    "sweep asr.rtf": lambda: _hash(sweep("asr.rtf", [0.2, 0.8, 1.2], 60, progress=False).as_dict()),
    "sweep llm.ttft_s barge-in": lambda: _hash(
        sweep("llm.ttft_s", [0.1, 0.6], 40, progress=False, barge_in=BargeIn(0.5)).as_dict()),
    "sweep vad.endpoint_silence_s": lambda: _hash(
        sweep("vad.endpoint_silence_s", [0.2, 0.8], 40, progress=False, jitter=2.0, tail="pareto").as_dict()),
    "false interruptions": lambda: _hash(vars(false_interruptions([0.0, 0.1, 0.25], [0.05, 0.2, 0.5]))),
    "speculation tradeoff": lambda: _hash(vars(speculation_tradeoff([0.1, 0.4], 40))),
}


def digests() -> dict[str, str]:
    """Every case's digest, by name."""
    return {name: case() for name, case in CASES.items()}


if __name__ == "__main__":
    json.dump(digests(), sys.stdout, indent=1)
    sys.stdout.write("\n")
