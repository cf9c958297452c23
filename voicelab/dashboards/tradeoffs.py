"""One trade-off per dashboard, for the notebooks that build the pipeline: chunk size (notebook 02),
endpoint silence (03) and streaming TTS speed (05)."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.units import EPS, to_ns_grid
from ..engine.vocabulary import MarkName, SpanName
from ..simulate import RunResult
from .dashboard import Dashboard
from .rows import NA, Row, budget_rows, checked, chunk_grid_notes, seconds, verdict, voice_to_voice_row
from .scenario import make_scenario


def chunk_rows(result: RunResult, turn: int) -> list[Row]:
    """Chunk size trade-off: when the first audio reaches the agent, whether ASR keeps up, voice-to-voice."""
    turn = checked(result, turn)
    trace = result.trace
    chunk_s = result.stages.caller.chunk_ms / 1000
    chunks = [s.duration for s in trace.spans_of(turn, "asr") if s.name == SpanName.CHUNK]
    slowest = max(chunks, default=None)
    metrics = result.metrics(turn)
    final, speech_end = metrics[MarkName.ASR_COMPLETE], metrics[MarkName.SPEECH_END]
    behind = None if final is None or speech_end is None else final - speech_end
    return [
        Row("first audio chunk arrives", seconds(metrics[MarkName.AUDIO_CHUNK_RECEIVED])),
        Row("chunks transcribed", str(len(chunks))),
        Row("ASR keeps up with audio", seconds(slowest), f"≤ {chunk_s:.3f} s (the chunk's length)",
            verdict(None if slowest is None else slowest <= chunk_s + EPS)),
        Row("final transcript after speech end", seconds(behind)),
        *(Row(r.name, r.value, f"{r.target} (budget, any chunk)", r.verdict) if r.name == "asr_processing" else r
          for r in budget_rows(result, turn, ["asr_processing", "voice_to_voice"])),
    ]


def chunk_notes(result: RunResult, turn: int) -> list[str]:
    """Say why the two ASR rows disagree when they do: keeping up compares a chunk's cost with the chunk's own
    length, the ``asr_processing`` budget with one figure per chunk, whatever the chunk size."""
    rows = {r.name: r for r in chunk_rows(result, turn)}
    keeps_up, budget = rows["ASR keeps up with audio"].verdict, rows["asr_processing"].verdict
    if keeps_up == budget or NA in (keeps_up, budget):
        return []
    chunk_ms, limit = result.stages.caller.chunk_ms, result.budgets.asr_processing
    return [f"the two ASR rows disagree: keeping up compares each chunk's cost with its own {chunk_ms:g} ms, the "
            f"asr_processing budget with {1000 * limit:g} ms per chunk whatever the chunk size; keeping up is what "
            "the caller feels"]


def chunk_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = ("Hello, how are you today?",),
                    asr_overhead_s: float = 0.01) -> Dashboard:
    """Notebook 02: the audio chunk size against ASR cost per chunk (small chunks: overhead piles up;
    big chunks: the agent hears everything later)."""
    scenario = make_scenario(preset, texts, "streaming", {"asr.overhead_s": asr_overhead_s})
    groups = {"chunking": ["caller.chunk_ms", "asr.overhead_s", "asr.rtf"]}
    return Dashboard("Chunk size trade-off", scenario, groups, chunk_rows, notes=chunk_notes)


def endpoint_rows(result: RunResult, turn: int) -> list[Row]:
    """Endpointing trade-off: how soon the turn ends after the caller stops, and whether they were cut off."""
    turn = checked(result, turn)
    trace = result.trace
    t = trace.turns[turn]
    metrics = result.metrics(turn)
    eou = trace.first(turn, MarkName.END_OF_UTTERANCE)
    speech_end = metrics[MarkName.SPEECH_END]
    decided = None if eou is None or speech_end is None else to_ns_grid(eou - t.start - speech_end)
    complete = t.transcript.split() == t.input.split()
    return [
        Row("turn ended after speech end", seconds(decided), "≥ 0 s (negative: mid-sentence)",
            verdict(None if decided is None else decided >= 0)),
        Row("caller heard out", "yes" if complete else "no: cut off", "whole sentence", verdict(complete)),
        Row("transcript", f"“{t.transcript}”"),
        voice_to_voice_row(result, turn),
    ]


ENDPOINT_TEXT = "I'd like to book a table, for two people, tomorrow at eight."


def endpoint_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = (ENDPOINT_TEXT,),
                       pause_s: float = 0.4, endpoint_silence_s: float = 0.5) -> Dashboard:
    """Notebook 03: the endpoint silence threshold against the caller's pauses (faster turn end vs
    cutting the caller off mid-sentence)."""
    scenario = make_scenario(preset, texts, "streaming",
                         {"caller.pause_s": pause_s, "vad.endpoint_silence_s": endpoint_silence_s})
    groups = {"endpointing": ["vad.endpoint_silence_s", "caller.pause_s"]}
    return Dashboard("Endpoint silence trade-off", scenario, groups, endpoint_rows, notes=chunk_grid_notes)


def underruns(result: RunResult, turn: int) -> tuple[int, float]:
    """How often playback ran dry in ``turn``, and for how long in total (seconds)."""
    turn = checked(result, turn)
    gaps = [s.duration for s in result.trace.spans_of(turn, "playback") if s.name == SpanName.UNDERRUN]
    return len(gaps), to_ns_grid(float(sum(gaps)))


def tts_rows(result: RunResult, turn: int) -> list[Row]:
    """Streaming TTS: first audio, speed against real time, playback underruns."""
    count, silent = underruns(result, turn)
    rtf = result.stages.tts.rtf
    return [
        Row("TTS speed", f"{rtf:.2f} x real time", "≤ 1.00 x", verdict(rtf <= 1.0)),
        Row("smooth playback", f"{count} gaps, {silent:.3f} s silent", "0 gaps", verdict(count == 0)),
        *budget_rows(result, turn, ["tts_first_chunk", "voice_to_voice"]),
    ]


TTS_TEXT = "What's the weather like?"


def tts_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = (TTS_TEXT,)) -> Dashboard:
    """Notebook 05: TTS first chunk, speed (real-time factor), chunking and clause length; underruns
    appear as soon as synthesis is slower than real time."""
    scenario = make_scenario(preset, texts, "streaming")
    groups = {"TTS": ["tts.rtf", "tts.first_chunk_s", "tts.chunk_ms", "tts.clause_chars"]}
    return Dashboard("Streaming TTS: speed and underruns", scenario, groups, tts_rows)
