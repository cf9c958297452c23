"""Clause aggregation in the TTS stage: tokens in, one synthesis request per clause, audio chunks out."""

from voicelab.engine.config import StageConfigs
from voicelab.engine.frames import EndOfResponse, EndOfSpeech, SpeechAudio, Token
from voicelab.stages.tts import SimulatedTTS, run_tts
from voicelab.testing import run_stage


def tts(inbox, outbox, ctx):
    return run_tts(SimulatedTTS(), inbox, outbox, ctx)


def requests(out) -> list[str]:
    return [span.attrs["text"] for span in out.trace.spans if span.name == "ttfb"]


def test_tokens_are_spoken_clause_by_clause():
    tokens = [Token(t, 0) for t in ("Hello, ", "how ", "are ", "you? ", "Fine ", "thanks")]
    out = run_stage(tts, [*tokens, EndOfResponse(0)])
    assert requests(out) == ["Hello,", "how are you?", "Fine thanks"]  # the rest is flushed at the end
    assert isinstance(out.frames[-1], EndOfSpeech)
    # the first clause's first chunk comes first_chunk_s (0.15 s) after its last token arrived
    assert out.marks("tts_first_chunk") == [0.15]
    assert {chunk.text for chunk in out.of(SpeechAudio)} == {"Hello,", "how are you?", "Fine thanks"}


def test_a_long_run_without_punctuation_is_cut_at_clause_chars():
    stages = StageConfigs().with_params({"tts.clause_chars": 10})
    tokens = [Token(t, 0) for t in ("one ", "two ", "three ", "four ", "five")]
    out = run_stage(tts, [*tokens, EndOfResponse(0)], stages=stages)
    assert requests(out) == ["one two three", "four five"]


def test_each_request_yields_its_speech_in_chunks_of_chunk_ms():
    out = run_stage(tts, [Token("Hello there, friend.", 0), EndOfResponse(0)])  # 20 chars at 20 chars/s: 1 s
    chunks = out.of(SpeechAudio)
    assert [round(c.duration, 3) for c in chunks] == [0.2] * 5
    # after the first chunk, each takes rtf (0.5) x 0.2 s to synthesize
    assert out.times[:5] == [0.15, 0.25, 0.35, 0.45, 0.55]
