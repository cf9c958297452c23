"""Properties that hold for any caller text and any stage timings (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voicelab
from voicelab.engine.config import AsrConfig, CallerConfig, LlmConfig, StageConfigs, TtsConfig, VadConfig
from voicelab.stages.vad import VAD_WINDOW_S

ASR_ORDER = ("asr_started", "asr_partial", "asr_complete", "llm_started", "llm_first_token", "llm_complete")
TTS_ORDER = ("tts_started", "tts_first_chunk", "tts_complete")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=9)
texts = st.lists(st.tuples(words, st.sampled_from(["", "", "", ",", ".", "?"])), min_size=1, max_size=8).map(
    lambda ws: " ".join(w + p for w, p in ws))


@st.composite
def timings(draw, keeps_up: bool = False) -> StageConfigs:
    """Random stage timings; with ``keeps_up`` the ASR processes a chunk in at most its duration,
    and the caller's pauses stay shorter than the endpoint silence (by more than one 10 ms VAD frame)."""
    chunk_ms = draw(st.sampled_from([10.0, 20.0, 40.0, 50.0, 100.0, 160.0]))
    chunk_s = chunk_ms / 1000
    endpoint = draw(st.floats(0.1, 1.5))
    pause = draw(st.floats(0.0, endpoint - 0.011)) if keeps_up else draw(st.floats(0.0, 1.0))
    rtf = draw(st.floats(0.0, 1.0 if keeps_up else 2.0))
    overhead = draw(st.floats(0.0, (1 - rtf) * chunk_s if keeps_up else 0.05))
    return StageConfigs(
        caller=CallerConfig(chunk_ms=chunk_ms, pause_s=pause, words_per_minute=draw(st.floats(90, 250))),
        vad=VadConfig(endpoint_silence_s=endpoint),
        asr=AsrConfig(overhead_s=overhead, rtf=rtf, finalization_s=draw(st.floats(0.0, 0.5)),
                      partial_every=draw(st.integers(1, 5))),
        llm=LlmConfig(ttft_s=draw(st.floats(0.0, 1.0)), token_s=draw(st.floats(0.0, 0.1))),
        tts=TtsConfig(first_chunk_s=draw(st.floats(0.0, 0.5)), rtf=draw(st.floats(0.0, 1.5)),
                      clause_chars=draw(st.integers(1, 60)), chunk_ms=draw(st.sampled_from([20.0, 100.0, 250.0]))),
    )


def _in_order(metrics: dict[str, float | None], names: tuple[str, ...]) -> None:
    present = [(n, metrics[n]) for n in names if metrics[n] is not None]
    for (a, ta), (b, tb) in zip(present, present[1:], strict=False):
        assert ta <= tb + 1e-9, f"{a}={ta} after {b}={tb}"


@SETTINGS
@given(text=texts, stages=timings(), jitter=st.sampled_from([1.0, 1.5, 3.0]), seed=st.integers(0, 2**32 - 1),
       pipeline=st.sampled_from(["original", "streaming"]))
def test_events_happen_in_pipeline_order(text, stages, jitter, seed, pipeline):
    result = voicelab.simulate([text], pipeline=pipeline, stages=stages.with_jitter(jitter), seed=seed)
    metrics = result.metrics(0)
    for name in ("asr_complete", "llm_first_token", "tts_first_chunk", "tts_complete"):
        assert metrics[name] is not None, name
    _in_order(metrics, ASR_ORDER)
    _in_order(metrics, TTS_ORDER)
    assert metrics["llm_started"] <= metrics["tts_started"] + 1e-9
    assert all(s.end >= s.start for s in result.trace.spans)


@SETTINGS
@given(text=texts, stages=timings(keeps_up=True), seed=st.integers(0, 1000))
def test_streaming_final_transcript_is_bounded_when_asr_keeps_up(text, stages, seed):
    """The final transcript comes at most speech end + endpoint silence + finalization + one chunk
    (the chunk in which the endpoint silence completes has to arrive) + one 10 ms VAD window (silence is
    counted from the end of the last window that held speech, and speech can end inside that window)."""
    result = voicelab.simulate([text], stages=stages, seed=seed)
    m = result.metrics(0)
    chunk_s = round(stages.caller.chunk_ms * 16) / 16000
    bound = m["speech_end"] + stages.vad.endpoint_silence_s + stages.asr.finalization_s + chunk_s + VAD_WINDOW_S
    assert m["asr_complete"] <= bound + 1e-6
    assert result.trace.turns[0].transcript == text.strip()  # no premature endpoint cut the caller off


@SETTINGS
@given(text=texts, stages=timings(keeps_up=True), jitter=st.sampled_from([1.0, 2.0]), seed=st.integers(0, 1000))
def test_voice_to_voice_is_never_negative_when_pauses_are_shorter_than_the_endpoint(text, stages, jitter, seed):
    result = voicelab.simulate([text], stages=stages.with_jitter(jitter), seed=seed)
    assert result.metrics(0)["voice_to_voice"] >= 0
