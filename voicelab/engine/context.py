"""What every stage of a run shares: the clock, the trace, its configuration and seeded randomness."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence

from .clock import Clock
from .config import StageConfigs
from .timing import draw, lognormal_sigma
from .trace import Trace

_RNG_STREAMS = ("caller", "vad", "asr", "llm", "tts", "playback")

# numpy's SeedSequence constants (numpy/random/bit_generator.pyx), for stream_seeding's vectorized copy of it.
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _MASK32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF


def _hashmix(value: np.ndarray, const: int) -> tuple[np.ndarray, int]:
    value = value ^ np.uint32(const)
    const = const * _MULT_A & _MASK32
    value = value * np.uint32(const)
    return value ^ (value >> np.uint32(16)), const


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result: Any = x * np.uint32(_MIX_L) - y * np.uint32(_MIX_R)  # (uint32 arithmetic, wrapping)
    return result ^ (result >> np.uint32(16))


def stream_seeding(seeds: np.ndarray) -> np.ndarray:
    """The words every stage's stream is seeded with, for many seeds (each below 2**32) at once: ``out[k, i]`` is
    ``SeedSequence(seeds[k], spawn_key=(i,)).generate_state(4, np.uint64)``, the state stream ``i`` of a run with
    seed ``seeds[k]`` starts from (numpy's SeedSequence algorithm, vectorized over the seeds). Pass ``out[k]`` as
    :class:`RunContext`'s ``seeding`` and its streams start without hashing the seed again."""
    entropy = np.asarray(seeds, dtype=np.uint64)
    if entropy.ndim != 1 or (entropy >> np.uint64(32)).any():
        raise ValueError("stream_seeding takes a 1-D array of seeds below 2**32")
    zero = np.zeros(len(entropy), dtype=np.uint32)
    const = _INIT_A
    pool = []
    for word in (entropy.astype(np.uint32), zero, zero, zero):  # the seed, padded to the pool size (4 words)
        mixed, const = _hashmix(word, const)
        pool.append(mixed)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                mixed, const = _hashmix(pool[src], const)
                pool[dst] = _mix(pool[dst], mixed)
    out = np.empty((len(entropy), len(_RNG_STREAMS), 4), dtype=np.uint64)
    for stream in range(len(_RNG_STREAMS)):  # the spawn key (stream,), mixed into every pool word
        key, child, words = const, [], []
        for dst in range(4):
            mixed, key = _hashmix(np.full(len(entropy), stream, dtype=np.uint32), key)
            child.append(_mix(pool[dst], mixed))
        value_const = _INIT_B
        for d in range(8):  # generate_state(4, uint64): 8 uint32 words, little-endian pairs
            value = child[d % 4] ^ np.uint32(value_const)
            value_const = value_const * _MULT_B & _MASK32
            value = value * np.uint32(value_const)
            words.append((value ^ (value >> np.uint32(16))).astype(np.uint64))
        for j in range(4):
            out[:, stream, j] = words[2 * j] | (words[2 * j + 1] << np.uint64(32))
    return out


class _Seeding(ISpawnableSeedSequence):
    """``SeedSequence(seed, spawn_key=(stream,))`` whose PCG64 seeding words are known already
    (:func:`stream_seeding`); anything else asked of it is asked of that SeedSequence."""

    __slots__ = ("seed", "stream", "words", "_sequence")

    def __init__(self, seed: int, stream: int, words: np.ndarray) -> None:
        self.seed, self.stream, self.words = seed, stream, words
        self._sequence: np.random.SeedSequence | None = None

    def sequence(self) -> np.random.SeedSequence:
        if self._sequence is None:
            self._sequence = np.random.SeedSequence(self.seed, spawn_key=(self.stream,))
        return self._sequence

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words == 4 and dtype is np.uint64:  # what PCG64 asks for
            return self.words.copy()
        return self.sequence().generate_state(n_words, dtype)

    def spawn(self, n_children: int) -> list[Any]:
        return self.sequence().spawn(n_children)


class _Streams(dict):
    """One independent generator per stage, child ``i`` of ``SeedSequence(seed)``, made on first use
    (the same generators ``SeedSequence(seed).spawn(6)`` gives, without building the unused ones);
    ``seeding``: their seeding words from :func:`stream_seeding`, when known.

    A stream only :meth:`RunContext.duration` draws from (:data:`_BLOCK_STREAMS`) is drawn in blocks
    (:class:`_Normals`); it is in this dict only once someone else asks for it, and then it is first put back
    where scalar draws would have left it and drawn one by one from then on: everyone sees the same numbers."""

    def __init__(self, seed: int, seeding: np.ndarray | None = None) -> None:
        super().__init__()
        self.seed, self.seeding = seed, seeding
        self.blocks: dict[str, _Normals] = {}  # the streams drawn in blocks so far (none in this dict yet)

    def make(self, name: str) -> np.random.Generator:
        """Stream ``name``'s generator, as it was seeded (not put in this dict)."""
        stream = _RNG_STREAMS.index(name)
        if self.seeding is None:
            child: Any = np.random.SeedSequence(self.seed, spawn_key=(stream,))
        else:
            child = _Seeding(self.seed, stream, self.seeding[stream])
        return np.random.Generator(np.random.PCG64(child))

    def start_block(self, name: str) -> float:
        """The first normal of stream ``name`` (in no one's hands yet), drawn in blocks from here on."""
        self.blocks[name] = block = _Normals(self.make(name))
        return block.refill()

    def __missing__(self, name: str) -> np.random.Generator:
        block = self.blocks.pop(name, None)
        rng = self[name] = self.make(name) if block is None else block.hand_over()
        return rng

    def __setitem__(self, name: str, rng: np.random.Generator) -> None:
        self.blocks.pop(name, None)  # a stream replaced: RunContext.duration draws from the new one
        super().__setitem__(name, rng)


# Streams no stage draws from but through RunContext.duration: their normals may be drawn ahead, in blocks.
_BLOCK_STREAMS = frozenset({"asr", "llm"})
_BLOCK = 64  # normals drawn at once (a production turn's ASR draws ~120)


class _Normals:
    """A stream's standard normals drawn ``_BLOCK`` at a time: the same numbers, in the same order, as one
    ``standard_normal()`` call each (numpy's Generator fills an array with the very draws it makes one by one)."""

    __slots__ = ("rng", "state", "block", "left", "next")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.state: Mapping[str, Any] = {}
        self.block: list[float] = []
        self.left = iter(self.block)
        self.next = self.left.__next__  # the next normal (StopIteration at the end of the block: call refill)

    def refill(self) -> float:
        """The next normal, from a new block."""
        self.state = self.rng.bit_generator.state
        self.block = self.rng.standard_normal(_BLOCK).tolist()
        self.left = iter(self.block)
        self.next = self.left.__next__
        return self.next()

    def hand_over(self) -> np.random.Generator:
        """The generator, where one scalar draw per normal taken so far would have left it."""
        if self.block:
            self.rng.bit_generator.state = self.state
            self.rng.standard_normal(len(self.block) - operator.length_hint(self.left))
        return self.rng


@dataclass
class RunContext:
    """The clock, trace, stage configs and one independent random stream per stage."""

    clock: Clock
    trace: Trace
    stages: StageConfigs
    seed: int
    rngs: _Streams = field(init=False)
    seeding: np.ndarray | None = field(default=None, repr=False, compare=False)  # stream_seeding(seeds)[k], if known

    def __post_init__(self) -> None:
        self.rngs = _Streams(self.seed, self.seeding)
        self._connected: set[str] = set()  # stages that have made their first request (their cold start is paid)
        # Per stage: log-normal sigma of its jitter (None: fixed timing, or a Pareto tail drawn by ``draw``).
        self._sigma: dict[str, float | None] = {}
        for stage in ("asr", "llm", "tts"):
            jitter = getattr(self.stages, stage).jitter
            self._sigma[stage] = lognormal_sigma(jitter) if jitter > 1.0 and self.stages.tail == "lognormal" else None

    def first_request(self, stage: str) -> bool:
        """True the first time ``stage`` asks (its cold start: a connection set up once per conversation),
        False from then on."""
        if stage in self._connected:
            return False
        self._connected.add(stage)
        return True

    def duration(self, stage: str, median: float) -> float:
        """A stage duration: ``median`` with that stage's jitter drawn from its own stream."""
        sigma = self._sigma.get(stage)
        if sigma is None:
            jitter = getattr(getattr(self.stages, stage), "jitter", 1.0)
            return draw(median, jitter, self.stages.tail, self.rngs[stage])
        if median <= 0.0:  # (what draw gives: no draw)
            return median
        # draw's log-normal case, inlined: a normal of the stage's stream, from its block when it has one
        block = self.rngs.blocks.get(stage)
        if block is not None:
            try:
                z = block.next()
            except StopIteration:
                z = block.refill()
        elif stage in _BLOCK_STREAMS and stage not in self.rngs:
            z = self.rngs.start_block(stage)
        else:
            z = self.rngs[stage].standard_normal()
        return float(median * math.exp(sigma * z))
