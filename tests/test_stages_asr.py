"""ASR partials: the streaming recognizer reports the words finished so far, every few chunks, then a final."""

import numpy as np

from voicelab.engine.config import StageConfigs
from voicelab.engine.frames import AudioFrame, EndOfUtterance, Transcript
from voicelab.stages.asr import SimulatedASR, run_asr
from voicelab.stages.caller import Utterance
from voicelab.testing import run_stage

RATE = 16_000
UTTERANCE = Utterance("what is the weather", np.zeros(RATE, dtype=np.float32), RATE,
                      (("what", 0.25), ("is", 0.35), ("the", 0.55), ("weather", 0.95)))


def audio(n: int) -> list[tuple[float, AudioFrame]]:
    return [(round((k + 1) * 0.1, 9), AudioFrame(np.zeros(1600, dtype=np.float32), RATE, round(k * 0.1, 9), 0))
            for k in range(n)]


def asr(inbox, outbox, ctx):
    return run_asr(SimulatedASR(), inbox, outbox, ctx, {0: UTTERANCE})


def test_partials_every_third_chunk_hold_the_words_finished_so_far():
    out = run_stage(asr, [*audio(10), (1.0, EndOfUtterance(0, "silence"))])
    partials = [t.text for t in out.of(Transcript) if not t.final]
    # chunks 3, 6, 9 end at 0.3, 0.6, 0.9 s: "what", "what is the", and no new words by 0.9 (not re-sent)
    assert partials == ["what", "what is the"]
    # each chunk costs rtf x 0.1 s = 0.08 s, so the third chunk (arrived 0.3 s) is processed by 0.38 s
    assert out.marks("asr_partial")[0] == 0.38
    final = out.of(Transcript)[-1]
    assert final.final and final.text == "what is the weather"


def test_the_final_takes_finalization_s_after_the_end_of_utterance():
    out = run_stage(asr, [*audio(10), (1.0, EndOfUtterance(0, "silence"))])
    assert out.marks("asr_complete") == [1.28]  # the 10th chunk is done at 1.08 s, then 0.2 s to finalize
    assert out.spans("finalize") == [(1.08, 1.28)]


def test_partial_cadence_follows_partial_every():
    stages = StageConfigs().with_params({"asr.partial_every": 1})
    out = run_stage(asr, audio(6), stages=stages)
    assert [t.text for t in out.of(Transcript)] == ["what", "what is", "what is the"]
