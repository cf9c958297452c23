"""Notebook 13's exercises: turn a Pipecat latency breakdown into voicelab's components (checked on simulated
turns exported as breakdowns); which component makes the imported Pipecat agent's slowest turns slow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine.v2v import IMPORTED_ADDITIVE
from ..engine.vocabulary import MarkName, SpanName
from ..importers import EXAMPLES
from ..simulate import RunResult, simulate
from .grading import BuildIt, LearnerMistake, Mistake, Question, Trial, learner_line, number_returned

PARTS = ("voice_to_voice", *IMPORTED_ADDITIVE[:-1])  # voice-to-voice and its parts but "other"
Converter = Callable[[dict[str, Any]], dict[str, float]]


def as_breakdown(run: RunResult, turn: int) -> dict[str, Any]:
    """One simulated turn written as Pipecat's UserBotLatencyObserver would report it (seconds, unix-like times).

    The STT processor is named ``SimulatedSTT``: a real one (``DeepgramSTTService``) contains "TTS" too, so a
    learner matching "TTS" in the name would take the STT's TTFB for the TTS's."""
    trace, t0 = run.trace, 1_796_000_000.0
    at = {m.name: m.t for m in reversed(trace.marks_of(turn))}
    tts = next(s for s in trace.spans_of(turn, "tts") if s.name == SpanName.TTFB)
    return {
        "user_turn_start_time": t0 + at[MarkName.SPEECH_END],
        "user_turn_secs": at[MarkName.END_OF_UTTERANCE] - at[MarkName.SPEECH_END],
        "ttfb": [
            {"processor": "SimulatedSTT#0", "start_time": t0 + at[MarkName.END_OF_UTTERANCE],
             "duration_secs": at[MarkName.ASR_COMPLETE] - at[MarkName.END_OF_UTTERANCE]},
            {"processor": "OpenAILLMService#0", "start_time": t0 + at[MarkName.LLM_STARTED],
             "duration_secs": at[MarkName.LLM_FIRST_TOKEN] - at[MarkName.LLM_STARTED]},
            {"processor": "SimulatedTTSService#0", "start_time": t0 + tts.start,
             "duration_secs": at[MarkName.TTS_FIRST_CHUNK] - tts.start},
        ],
        "total_secs": at[MarkName.TTS_FIRST_CHUNK] - at[MarkName.SPEECH_END],
        "measured_from": "user_silence",
        # named parts adding up to total_secs, shaped as Pipecat 1.14 writes them (pipecat_breakdowns.jsonl)
        "contributions": [
            {"key": key, "label": key.replace("_", " "), "owner": owner, "owner_kind": kind,
             "start_time": t0 + start, "duration_secs": end - start}
            for key, owner, kind, start, end in (
                ("endpointing_wait", "config: VAD stop_secs", "setting", at[MarkName.SPEECH_END],
                 at[MarkName.END_OF_UTTERANCE]),
                ("transcription", "SimulatedSTT#0", "service", at[MarkName.END_OF_UTTERANCE],
                 at[MarkName.ASR_COMPLETE]),
                ("turn_detection", "config: user turn strategies", "setting", at[MarkName.ASR_COMPLETE],
                 at[MarkName.LLM_STARTED]),
                ("llm_inference", "OpenAILLMService#0", "service", at[MarkName.LLM_STARTED],
                 at[MarkName.LLM_FIRST_TOKEN]),
                ("sentence_aggregation", "config: text_aggregation_mode", "setting", at[MarkName.LLM_FIRST_TOKEN],
                 tts.start),
                ("speech_synthesis", "SimulatedTTSService#0", "service", tts.start, at[MarkName.TTS_FIRST_CHUNK]))],
    }

def to_components(breakdown: dict[str, Any]) -> dict[str, float]:
    """The reference: voice-to-voice and its parts from one breakdown."""
    def ttfb(service: str) -> float:
        return next(t["duration_secs"] for t in breakdown["ttfb"] if service in t["processor"])

    return {"voice_to_voice": breakdown["total_secs"], "endpoint_wait": breakdown["user_turn_secs"],
            "llm_ttft": ttfb("LLM"), "tts_ttfb": ttfb("TTS")}


def _stt_as_endpoint(breakdown: dict[str, Any]) -> dict[str, float]:
    return {**to_components(breakdown), "endpoint_wait": breakdown["ttfb"][0]["duration_secs"]}


def _last_ttfb_as_llm(breakdown: dict[str, Any]) -> dict[str, float]:
    return {**to_components(breakdown), "llm_ttft": breakdown["ttfb"][-1]["duration_secs"]}


def _sum_as_total(breakdown: dict[str, Any]) -> dict[str, float]:
    parts = to_components(breakdown)
    return {**parts, "voice_to_voice": parts["endpoint_wait"] + parts["llm_ttft"] + parts["tts_ttfb"]}


def _services_as_total(breakdown: dict[str, Any]) -> dict[str, float]:
    """Adds up only the services' contributions: the settings' waits (endpointing, sentences) are time too."""
    services = sum(c["duration_secs"] for c in breakdown["contributions"] if c["owner_kind"] == "service")
    return {**to_components(breakdown), "voice_to_voice": services}


def _transcription_as_endpoint(breakdown: dict[str, Any]) -> dict[str, float]:
    parts = {c["key"]: c["duration_secs"] for c in breakdown["contributions"]}
    return {**to_components(breakdown), "endpoint_wait": parts["transcription"]}


class BreakdownExercise(BuildIt):
    """Write ``to_components(breakdown)``: voice-to-voice, endpoint, LLM TTFT and TTS TTFB of one breakdown."""

    what = "your breakdown importer"
    reference = staticmethod(to_components)
    wrong = (Mistake(_stt_as_endpoint, "user_turn_secs: from the end of speech"),
             Mistake(_last_ttfb_as_llm, "the processor whose name contains LLM"),
             Mistake(_sum_as_total, "total_secs: the whole gap"),
             Mistake(_services_as_total, "every contribution, the settings' waits included"),
             Mistake(_transcription_as_endpoint, "the endpointing_wait contribution"))

    def trial(self, solution: Converter) -> Trial:
        run = simulate(preset="production")
        values: dict[str, Any] = {}
        for turn in run.trace.turns:
            got = solution(as_breakdown(run, turn.index))
            if not isinstance(got, dict):
                raise LearnerMistake(f"your function returned {got!r}: it must return a dict "
                                     f"{{{', '.join(repr(p) + ': seconds' for p in PARTS)}}}")
            for name in PARTS:
                value = got.get(name)
                values[f"turn {turn.index}: {name} (s)"] = None if value is None else round(
                    number_returned(value, f"{name} in seconds, as the dict's {name!r} value"), 4)
        return Trial(run, values)

    def failed(self, exc: BaseException) -> str:
        if isinstance(exc, KeyError):
            sample = as_breakdown(simulate(preset="production"), 0)
            keys = ", ".join(repr(k) for k in sample)
            entry = ", ".join(repr(k) for k in sample["contributions"][0])
            named = ", ".join(repr(c["key"]) for c in sample["contributions"])
            if exc.args and exc.args[0] in sample["contributions"][0] or exc.args and exc.args[0] in (
                    "name", "part", "kind", "duration", "seconds"):
                where = "a contribution"
            else:
                where = "the breakdown"
            return (f"your code asked {where} for {exc}, which it does not have{learner_line(exc)}: this "
                    f"breakdown's keys are {keys}; each of its contributions is a dict with {entry} (the part's "
                    f"name is its 'key': {named}); the TTFB entries are dicts with 'processor', 'start_time' and "
                    "'duration_secs'")
        return super().failed(exc)

    def figure(self, yours: Trial, reference: Trial) -> Any:
        return None  # both trials import the same simulated run: the table says it all

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        for key, expected in reference.values.items():
            got = yours.values.get(key)
            if got is None:
                return f"{key.split(': ')[1].removesuffix(' (s)')} is missing from what you return"
            if abs(got - expected) > 1e-3:
                name = key.split(": ")[1].removesuffix(" (s)")
                meaning = {"voice_to_voice": "total_secs: the whole gap from the end of speech to the bot speaking, "
                                             "which is every contribution, the settings' waits included, added up",
                           "endpoint_wait": "user_turn_secs: from the end of speech until the user turn was "
                                            "released, the endpointing_wait contribution",
                           "llm_ttft": "the TTFB of the processor whose name contains LLM, the llm_inference "
                                       "contribution",
                           "tts_ttfb": "the TTFB of the processor whose name contains TTS, the speech_synthesis "
                                       "contribution"}[name]
                return (f"{key.split(':')[0]}: your {name} is {got:.3f} s, the simulator measured {expected:.3f} s "
                        f"(it is {meaning})")
        return None


breakdown_importer = BreakdownExercise()


def _dominant() -> str:
    from ..analysis.analyze import analyze
    from ..importers import load

    tail = analyze(load(EXAMPLES / "pipecat_otlp.json")).tail()
    return tail.dominant if tail is not None else ""


pipecat_tail = Question(
    what="the part behind the slowest Pipecat turn", kind="text", solve=_dominant,
    choices=("endpoint_wait", "llm_ttft", "tts_ttfb", "other"),
    hint="read the share column of the tail attribution: the part with the largest excess over its median",
    wrong=("endpoint_wait", "other"))
