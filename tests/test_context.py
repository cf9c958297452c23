"""A run's shared context: its random streams, seeded one by one or many seeds at once."""

import numpy as np
import pytest

from voicelab.engine.clock import Clock, VirtualEventLoop
from voicelab.engine.config import StageConfigs
from voicelab.engine.context import _RNG_STREAMS, RunContext, stream_seeding
from voicelab.engine.trace import Trace

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
