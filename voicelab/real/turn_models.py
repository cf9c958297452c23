"""Real turn-taking engines from the ``pipecat-ai`` wheel, run offline through onnxruntime.

- Silero VAD (``pipecat/audio/vad/data/silero_vad.onnx``): a speech probability per 32 ms window
  (512 samples at 16 kHz plus 64 samples of context, a recurrent state carried along).
- Smart Turn v3.2 (``pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx``): the probability
  that the turn is complete, from the last 8 s of audio as Whisper log-mel features (pipecat's own
  numpy feature code, loaded from the wheel).

The model files are loaded directly with onnxruntime (pipecat's analyzer classes would import the
whole framework and its logger). Needs the ``turn`` extra: ``pip install 'voicelab[turn]'`` (or
``make install``); without it, using these classes raises ImportError naming that command.

:func:`synthesize` turns a hesitating caller's plan (:mod:`voicelab.turntaking.hesitation`) into espeak-ng speech
(the ``real`` extra) with silence inserted at the plan's pauses; :func:`evaluate` runs both models on
such speech and records every decision, its inference time and whether it was right.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..engine.units import SAMPLE_RATE, to_ns_grid
from ..turntaking.hesitation import UtterancePlan, ends_clause

INSTALL_HINT = "pip install 'voicelab[turn]'  (or: make install)"
WINDOW = 512  # Silero's window at 16 kHz: 32 ms
CONTEXT = 64
WINDOW_S = WINDOW / SAMPLE_RATE
SMART_TURN_SECONDS = 8
SILERO_FILE = "audio/vad/data/silero_vad.onnx"
SMART_TURN_FILE = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
FEATURES_FILE = "audio/turn/smart_turn/_whisper_features.py"


def pipecat_root() -> Path:
    """The installed ``pipecat`` package folder (found without importing it); ImportError with the hint if absent."""
    try:
        spec = importlib.util.find_spec("pipecat")
        ort = importlib.util.find_spec("onnxruntime")
    except (ImportError, ValueError):
        spec = ort = None
    if spec is None or ort is None or not spec.submodule_search_locations:
        raise ImportError(f"the real turn models need the optional packages pipecat-ai and onnxruntime; "
                          f"install the extra with: {INSTALL_HINT}")
    root = Path(next(iter(spec.submodule_search_locations)))
    for name in (SILERO_FILE, SMART_TURN_FILE, FEATURES_FILE):
        if not (root / name).is_file():
            raise ImportError(f"pipecat-ai at {root} has no {name}; install pipecat-ai 1.14 with: {INSTALL_HINT}")
    return root


def available() -> bool:
    """Whether the ``turn`` extra is installed (the models can be loaded)."""
    try:
        pipecat_root()
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _features() -> ModuleType:
    path = pipecat_root() / FEATURES_FILE
    spec = importlib.util.spec_from_file_location("voicelab_pipecat_whisper_features", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load pipecat's Whisper feature extractor from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Timing:
    """How long calls took: wall clock (what a live agent waits) and CPU time of the calling thread
    (what the call costs when the machine is not shared)."""

    wall_s: tuple[float, ...]
    cpu_s: tuple[float, ...]

    @property
    def median_wall_ms(self) -> float:
        return round(1000 * float(np.median(self.wall_s)), 3) if self.wall_s else float("nan")

    @property
    def median_cpu_ms(self) -> float:
        return round(1000 * float(np.median(self.cpu_s)), 3) if self.cpu_s else float("nan")


class SileroVAD:
    """Silero VAD from the pipecat wheel: ``probabilities(audio)`` gives one speech probability per 32 ms."""

    def __init__(self, threads: int = 1) -> None:
        self.session = _session(pipecat_root() / SILERO_FILE, threads)

    def probabilities(self, audio: np.ndarray) -> tuple[np.ndarray, Timing]:
        """Speech probability of each full 32 ms window of 16 kHz ``audio`` (a fresh state), and the call times."""
        state = np.zeros((2, 1, 128), np.float32)
        context = np.zeros((1, CONTEXT), np.float32)
        rate = np.array(SAMPLE_RATE, dtype=np.int64)
        out, wall, cpu = [], [], []
        for a in range(0, len(audio) - WINDOW + 1, WINDOW):
            x = np.concatenate([context, audio[None, a:a + WINDOW]], axis=1).astype(np.float32)
            w0, c0 = time.perf_counter(), time.thread_time()
            p, state = self.session.run(None, {"input": x, "state": state, "sr": rate})
            wall.append(time.perf_counter() - w0)
            cpu.append(time.thread_time() - c0)
            context = x[:, -CONTEXT:]
            out.append(float(np.asarray(p).ravel()[0]))
        return np.array(out), Timing(tuple(wall), tuple(cpu))


class SmartTurn:
    """Smart Turn v3.2 from the pipecat wheel: P(the turn is complete) from the audio so far."""

    def __init__(self, threads: int = 1) -> None:
        self.session = _session(pipecat_root() / SMART_TURN_FILE, threads)
        self.features = _features()

    def probability(self, audio: np.ndarray) -> tuple[float, float, float]:
        """(probability, wall s, CPU s) for 16 kHz ``audio``: its last 8 s, zero-padded in front when shorter."""
        n = SMART_TURN_SECONDS * SAMPLE_RATE
        clip = np.asarray(audio[-n:], dtype=np.float32)
        clip = np.pad(clip, (n - len(clip), 0))
        w0, c0 = time.perf_counter(), time.thread_time()
        log_mel = self.features.compute_whisper_log_mel_features(clip, do_normalize=True)
        p = self.session.run(None, {"input_features": log_mel[None].astype(np.float32)})[0]
        return float(np.asarray(p).ravel()[0]), time.perf_counter() - w0, time.thread_time() - c0


# -- espeak-ng speech with pauses ----------------------------------------------------------------
@dataclass(frozen=True)
class Speech:
    """A synthesized utterance at 16 kHz, the silences inserted into it, and the truth about each."""

    text: str
    audio: np.ndarray
    pauses: tuple[tuple[float, float, bool], ...]  # (start s, length s, words so far sound finished)
    speech_end: float
    trailing: bool


def _loud_end(samples: np.ndarray, threshold: float = 0.01) -> int:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return int(loud[-1]) + 1 if len(loud) else 0


def synthesize(plan: UtterancePlan, trailing_silence_s: float = 3.0, voice: str = "en-us",
               words_per_minute: float = 150.0) -> Speech:
    """espeak-ng says ``plan.text`` in one breath; the plan's pauses are cut in as silence between its words.

    The sentence is synthesized whole (its intonation runs on across the pauses, as a hesitating
    speaker's does), then cut at the start of the word after each pause.
    """
    from . import espeak
    from .resample import resample

    native, rate, words = espeak.speak(plan.text, voice, words_per_minute)
    starts = [round(w.start_sample * SAMPLE_RATE / rate) for w in words]
    audio = resample(native, rate, SAMPLE_RATE)
    ends = [e for _, e in plan.word_ends]
    inserts: dict[int, float] = {}
    for start, length, _ in plan.pauses():
        k = int(np.searchsorted(ends, start + 1e-6))  # the pause comes before word k
        if 0 < k < len(starts):
            inserts[k] = inserts.get(k, 0.0) + length
    pieces, pauses, t_offset, cursor = [], [], 0.0, 0
    for k in sorted(inserts):
        cut = starts[k]
        pieces.append(audio[cursor:cut])
        spoken = audio[:cut]
        pause_start = (_loud_end(spoken) + round(t_offset * SAMPLE_RATE)) / SAMPLE_RATE
        gap = np.zeros(round(inserts[k] * SAMPLE_RATE), np.float32)
        pieces.append(gap)
        natural = (cut - _loud_end(spoken)) / SAMPLE_RATE
        pauses.append((round(pause_start, 4), round(inserts[k] + natural, 4), ends_clause(plan.word_ends[k - 1][0])))
        t_offset += inserts[k]
        cursor = cut
    pieces.append(audio[cursor:])
    voiced = np.concatenate(pieces) if pieces else audio
    end = _loud_end(voiced) / SAMPLE_RATE
    full = np.concatenate([voiced, np.zeros(round(trailing_silence_s * SAMPLE_RATE), np.float32)])
    return Speech(plan.text, full, tuple(pauses), round(end, 4), plan.trailing)


# -- running both models on the speech -----------------------------------------------------------
@dataclass(frozen=True)
class SmartTurnCall:
    """One Smart Turn call: at a pause (or the end), its probability and whether 'complete' was right."""

    text: str
    at_s: float
    kind: str  # "pause" (the caller goes on) or "end"
    sounds_finished: bool
    probability: float
    wall_s: float
    cpu_s: float

    @property
    def complete(self) -> bool:
        return self.probability > 0.5

    @property
    def caller_done(self) -> bool:
        return self.kind == "end"


@dataclass
class Evaluation:
    """Both models on a set of utterances: Silero's detected silences and Smart Turn's decisions."""

    speech: list[Speech]
    vad_probs: list[np.ndarray]
    vad_timing: Timing
    decisions: list[SmartTurnCall]
    detected: list[list[tuple[float, float]]] = field(default_factory=list)  # Silero silences per utterance

    @property
    def smart_turn_timing(self) -> Timing:
        return Timing(tuple(d.wall_s for d in self.decisions), tuple(d.cpu_s for d in self.decisions))

    def accuracy(self, kind: str | None = None, finished: bool | None = None) -> float | None:
        """Share of Smart Turn calls that matched the truth (complete only at the caller's end)."""
        chosen = [d for d in self.decisions if (kind is None or d.kind == kind)
                  and (finished is None or d.sounds_finished == finished)]
        if not chosen:
            return None
        return to_ns_grid(float(np.mean([d.complete == d.caller_done for d in chosen])))


VAD_THRESHOLD = 0.5  # LiveKit's Silero activation threshold (frameworks.md)
STOP_S = 0.2  # Pipecat's VAD stop_secs: Smart Turn is asked after this much silence (frameworks.md)


def silences(probs: np.ndarray, threshold: float = VAD_THRESHOLD) -> list[tuple[float, float]]:
    """The silences after speech Silero heard: (start s, length s) on its 32 ms grid (the last runs to the end)."""
    speech = probs >= threshold
    out, start, seen = [], None, False
    for i, s in enumerate(speech):
        if s:
            if start is not None and seen:
                out.append((round(start * WINDOW_S, 4), round((i - start) * WINDOW_S, 4)))
            start, seen = None, True
        elif start is None:
            start = i
    if start is not None and seen:
        out.append((round(start * WINDOW_S, 4), round((len(speech) - start) * WINDOW_S, 4)))
    return out


def evaluate(speech: list[Speech], progress: bool = True, threads: int = 1) -> Evaluation:
    """Silero over every utterance; Smart Turn at each silence Silero heard, ``STOP_S`` into it (Pipecat's scheme)."""
    from tqdm.auto import tqdm

    vad, turn = SileroVAD(threads), SmartTurn(threads)
    probs, detected, decisions = [], [], []
    wall: list[float] = []
    cpu: list[float] = []
    for s in tqdm(speech, desc="Silero + Smart Turn", unit="utterance", disable=not progress, leave=False):
        p, timing = vad.probabilities(s.audio)
        probs.append(p)
        wall += timing.wall_s
        cpu += timing.cpu_s
        found = silences(p)
        detected.append(found)
        for start, length in found:
            if length < STOP_S:
                continue
            ask = start + STOP_S
            kind = "end" if start >= s.speech_end - 0.1 else "pause"
            finished = (not s.trailing) if kind == "end" else _finished_at(s, start)
            prob, w, c = turn.probability(s.audio[:round(ask * SAMPLE_RATE)])
            decisions.append(SmartTurnCall(s.text, round(ask, 4), kind, finished, round(prob, 6), w, c))
    return Evaluation(speech, probs, Timing(tuple(wall), tuple(cpu)), decisions, detected)


def _finished_at(s: Speech, t: float) -> bool:
    """Whether the inserted pause nearest to ``t`` follows words that sound finished."""
    if not s.pauses:
        return False
    nearest = min(s.pauses, key=lambda p: abs(p[0] - t))
    return nearest[2]


def heard_turns(evaluation: Evaluation) -> list[Any]:
    """Each utterance as the endpointer heard it: Silero's silences, Smart Turn's probability in each."""
    from ..turntaking.measures import HeardTurn

    asked = {(d.text, d.at_s): d.probability for d in evaluation.decisions}
    turns = []
    for s, found in zip(evaluation.speech, evaluation.detected, strict=True):
        pauses, end = [], None
        for start, length in found:
            # a silence shorter than the stop was never judged: no verdict, counted as "not done"
            p = asked.get((s.text, round(start + STOP_S, 4)), 0.0)
            if start >= s.speech_end - 0.1:
                end = (start, p)
                break
            pauses.append((start, length, _finished_at(s, start), p))
        if end is None:
            continue
        turns.append(HeardTurn(tuple(pauses), end[0], s.speech_end, not s.trailing, end[1]))
    return turns


REAL_VALUES: dict[str, tuple[float, ...]] = {  # the model is asked STOP_S into a silence: no shorter waits
    "minmax": (0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0),
    "semantic": (0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5),
}


def real_tradeoff(evaluation: Evaluation, progress: bool = False) -> Any:
    """The four policies on what the real models heard: Silero's silences, Smart Turn's verdicts (asked
    ``STOP_S`` into each silence whatever the knob) and its measured CPU time per call as inference time."""
    from ..turntaking.measures import sweep_policies
    from ..turntaking.policies import AdaptiveDelay, FixedSilence, MinMaxDelay, SemanticTurn

    inference = evaluation.smart_turn_timing.median_cpu_ms / 1000
    policies = [FixedSilence(), MinMaxDelay(inference_s=min(inference, 2.0)), AdaptiveDelay(),
                SemanticTurn(inference_s=min(inference, 2.0))]
    return sweep_policies(heard_turns(evaluation), policies, values=REAL_VALUES, chunk_s=WINDOW_S, progress=progress)
