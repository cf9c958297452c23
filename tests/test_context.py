"""A run's shared context: its random streams, seeded one by one or many seeds at once."""

import math

import numpy as np
import pytest

from voicelab.engine.clock import Clock, VirtualEventLoop
from voicelab.engine.config import StageConfigs
from voicelab.engine.context import _RNG_STREAMS, RunContext, stream_seeding
from voicelab.engine.timing import lognormal_sigma
from voicelab.engine.trace import Trace

SIGMA = lognormal_sigma(1.6)

SEEDS = np.concatenate([np.array([0, 1, 7, 2**31, 2**32 - 1], dtype=np.uint32),
                        np.random.SeedSequence(0).generate_state(500, np.uint32)])


def test_stream_seeding_is_numpys_seed_sequence_for_every_seed_and_stream():
    out = stream_seeding(SEEDS)
    assert out.shape == (len(SEEDS), len(_RNG_STREAMS), 4) and out.dtype == np.uint64
    for k, seed in enumerate(SEEDS):
        for stream in range(len(_RNG_STREAMS)):
            expected = np.random.SeedSequence(int(seed), spawn_key=(stream,)).generate_state(4, np.uint64)
            assert out[k, stream].tolist() == expected.tolist(), (seed, stream)


def _context(seed: int, seeding: np.ndarray | None = None) -> RunContext:
    clock = Clock("virtual", VirtualEventLoop())
    return RunContext(clock, Trace(clock), StageConfigs(), seed, seeding=seeding)


@pytest.mark.parametrize("seed", [0, 3, 2**32 - 1])
def test_a_context_seeded_in_bulk_draws_what_one_seeded_alone_draws(seed):
    bulk, alone = _context(seed, stream_seeding(np.array([seed]))[0]), _context(seed)
    for name in _RNG_STREAMS:
        assert bulk.rngs[name].bit_generator.state == alone.rngs[name].bit_generator.state
        assert bulk.rngs[name].standard_normal(50).tolist() == alone.rngs[name].standard_normal(50).tolist()
        assert bulk.rngs[name].integers(1 << 40, size=5).tolist() == alone.rngs[name].integers(1 << 40, size=5).tolist()
        assert bulk.rngs[name].spawn(2)[1].random() == alone.rngs[name].spawn(2)[1].random()
    assert bulk.duration("asr", 0.1) == alone.duration("asr", 0.1)


def test_stream_seeding_refuses_seeds_it_cannot_hash_like_numpy():
    with pytest.raises(ValueError, match="below 2"):
        stream_seeding(np.array([2**32], dtype=np.uint64))


def _scalar_durations(seed: int, stage: str, medians: list[float]) -> tuple[list[float], np.random.Generator]:
    """What RunContext.duration gave before its blocks: one scalar draw of the stage's stream per duration."""
    stages = StageConfigs().with_jitter(1.6)
    sigma = SIGMA
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(_RNG_STREAMS.index(stage),))))
    assert getattr(stages, stage).jitter == 1.6
    return [m * math.exp(sigma * rng.standard_normal()) if m > 0 else m for m in medians], rng


@pytest.mark.parametrize("stage", ["asr", "llm", "tts"])
@pytest.mark.parametrize("count", [1, 63, 64, 65, 200])
def test_durations_drawn_in_blocks_are_the_scalar_draws_and_leave_the_stream_where_they_would(stage, count):
    medians = [0.0 if k % 7 == 3 else 0.01 + 0.001 * k for k in range(count)]
    expected, reference = _scalar_durations(5, stage, medians)
    clock = Clock("virtual", VirtualEventLoop())
    ctx = RunContext(clock, Trace(clock), StageConfigs().with_jitter(1.6), 5)
    got = [ctx.duration(stage, m) for m in medians]
    assert got == expected
    # whoever asks for the stream afterwards gets it where the scalar draws left it, and durations go on from there
    assert ctx.rngs[stage].bit_generator.state == reference.bit_generator.state
    assert ctx.rngs[stage].random() == reference.random()
    assert ctx.duration(stage, 0.1) == 0.1 * math.exp(SIGMA * reference.standard_normal())


def test_a_stream_asked_for_first_is_drawn_one_by_one_and_a_replaced_stream_is_used():
    clock = Clock("virtual", VirtualEventLoop())
    ctx = RunContext(clock, Trace(clock), StageConfigs().with_jitter(1.6), 9)
    rng = ctx.rngs["asr"]
    state = rng.bit_generator.state
    ctx.duration("asr", 0.1)
    after_one = np.random.Generator(np.random.PCG64())
    after_one.bit_generator.state = state
    after_one.standard_normal()
    assert rng.bit_generator.state == after_one.bit_generator.state  # one draw, from the caller's generator
    ctx.duration("llm", 0.1)  # llm now draws in blocks
    ctx.rngs["llm"] = np.random.default_rng(1)
    assert ctx.duration("llm", 0.1) == 0.1 * math.exp(SIGMA * np.random.default_rng(1).standard_normal())
