"""The engine against commit 1bcf903's: every virtual result byte-identical, computed inline with no thread.

``tests/data/engine_golden.json`` holds the digests 1bcf903 produced for the cases in ``engine_cases.py``
(demos, Monte Carlo, barge-in, speculation, sweeps). Here they are recomputed as a notebook would: inside
a running event loop, with thread creation disabled (as in Pyodide).

Since session 2 every Monte Carlo turn starts at virtual t = 0 (the loop is rewound between turns), so a turn
is byte-identical to ``simulate()`` of its seed; before, the loop's growing absolute time moved a few turns in
300 by 1e-9 s. That is the one intended change of results since 1bcf903; it changed none of these digests
(none of these cases hit a turn it moves), so the file still holds 1bcf903's values. Two voice-to-voice parts
have been renamed since (``llm_inference``, ``tts_ttfb``); ``engine_cases`` hashes them under their old names.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import engine_cases
import pytest

import voicelab as vl
from voicelab.analysis.experiments import monte_carlo
from voicelab.pipelines import StreamingPipeline
from voicelab.presets import get_preset
from voicelab.turntaking.interruptions import BargeIn

GOLDEN = json.loads((Path(__file__).parent / "data" / "engine_golden.json").read_text())


@pytest.mark.slow
def test_every_virtual_result_matches_the_old_engine_inline_and_thread_free(monkeypatch):
    started: list[str] = []

    def no_threads(self: threading.Thread) -> None:
        started.append(self.name)
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_threads)

    async def cell() -> dict[str, str]:
        return engine_cases.digests()

    got = asyncio.run(cell())
    assert started == []
    assert got.keys() == GOLDEN.keys()
    assert [name for name in GOLDEN if got[name] != GOLDEN[name]] == []


@pytest.mark.slow
@pytest.mark.parametrize("barge_in", [None, BargeIn(0.5)], ids=["pareto", "barge-in speech"])
def test_a_monte_carlo_turn_is_exactly_simulate_of_its_seed(barge_in):
    """Every turn starts at virtual t = 0 on the shared loop, so its trace is byte-identical to ``simulate()``
    of the same seed (before, the loop's growing absolute time moved a few of 300 turns by 1e-9 s)."""
    stages = get_preset("seed").stages.with_jitter(2.0, "pareto")
    turns = 300
    result = monte_carlo(turns, seed=21, stages=stages, barge_in=barge_in, keep_traces=True, progress=False)
    assert result.traces is not None
    texts = result.texts
    pipeline = StreamingPipeline(barge_in=barge_in) if barge_in else "streaming"
    differ = []
    for i, trace in enumerate(result.traces):
        spoken = [texts[i % len(texts)], texts[(i + 1) % len(texts)]] if barge_in else [texts[i % len(texts)]]
        alone = vl.simulate(spoken, pipeline=pipeline, stages=result.stages, seed=int(result.seeds[i])).trace
        if json.dumps(trace.to_dict(), sort_keys=True) != json.dumps(alone.to_dict(), sort_keys=True):
            differ.append(i)
    assert differ == []


class _Leaky:
    """A custom pipeline that leaves a sleeping task and a timer behind after every turn."""

    name = "streaming"

    async def run(self, texts, ctx):
        await StreamingPipeline().run(texts, ctx)
        asyncio.get_running_loop().create_task(asyncio.sleep(100))
        asyncio.get_running_loop().call_later(50, print, "never")


def test_what_a_turn_leaves_running_is_cancelled_before_the_next_starts_at_zero(capsys):
    plain = monte_carlo(20, seed=3, progress=False)
    leaky = monte_carlo(20, seed=3, progress=False, pipeline=_Leaky)
    for name, values in plain.metrics.items():
        assert values.tobytes() == leaky.metrics[name].tobytes(), name
    assert capsys.readouterr().out == ""


def test_the_asyncio_internals_the_virtual_loop_relies_on_still_exist():
    """The runner and the virtual loop use private asyncio names; a Python upgrade that moves one fails here."""
    from asyncio import base_events, events, tasks

    for module, name in [(events, "_get_running_loop"), (events, "_set_running_loop"), (tasks, "_enter_task"),
                         (tasks, "_leave_task"), (events, "Handle"), (events, "TimerHandle")]:
        assert callable(getattr(module, name, None)), f"asyncio lost {module.__name__}.{name}"
    loop = base_events.BaseEventLoop()
    for name in ("_ready", "_scheduled", "_stopping", "_timer_cancelled_count", "_run_once", "_write_to_self",
                 "_process_events", "_call_soon"):
        assert hasattr(loop, name), f"BaseEventLoop lost {name}"
    handle = events.TimerHandle(1.0, print, (), loop)
    expected = {"_context", "_loop", "_callback", "_args", "_cancelled", "_repr", "_source_traceback", "_when",
                "_scheduled"}
    slots = {s for cls in type(handle).__mro__ for s in getattr(cls, "__slots__", ())}
    assert slots <= expected | {"__weakref__"}, f"Handle grew slots the virtual loop does not set: {slots - expected}"
    assert expected <= slots
    assert callable(handle._run)
