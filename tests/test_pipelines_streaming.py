"""The streaming pipeline's conversations: what a finished one leaves behind."""

from __future__ import annotations

import gc

import pytest

import voicelab as vl
from voicelab.pipelines import StreamingPipeline
from voicelab.stages.speculative import Speculation
from voicelab.transport.legs import get_transport
from voicelab.turntaking.interruptions import BargeIn, Interruption
from voicelab.turntaking.policies import make_policy

PIPELINES = {
    "plain": lambda: StreamingPipeline(),
    "policy and greeting": lambda: StreamingPipeline(endpointing=make_policy("adaptive"), greeting="Hi there."),
    "barge-in over a network": lambda: StreamingPipeline(transport=get_transport("mobile"), barge_in=BargeIn(0.5)),
    "held reply over a network": lambda: StreamingPipeline(
        transport=get_transport("mobile"), barge_in=BargeIn(0.5, burst_s=0.4, backchannel=True),
        interruption=Interruption("adaptive")),
    "speculation cut by barge-in": lambda: StreamingPipeline(speculation=Speculation(0.3), barge_in=BargeIn(0.5)),
}


@pytest.mark.parametrize("name", PIPELINES)
def test_a_finished_conversation_leaves_no_reference_cycle(name):
    """Every object of a run (trace, stages, tasks, the caller's audio) is freed by reference counting when the run
    is dropped; none waits in a cycle for the garbage collector (a Monte Carlo makes a conversation per turn)."""
    vl.simulate(pipeline=PIPELINES[name]())  # imports and caches made once
    gc.collect()
    gc.disable()
    try:
        for seed in range(3):
            vl.simulate(pipeline=PIPELINES[name](), seed=seed)
        left = gc.collect()
    finally:
        gc.enable()
    assert left == 0, f"{left} objects of finished runs were only freed by the garbage collector"
