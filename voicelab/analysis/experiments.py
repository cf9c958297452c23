"""Experiments over many turns: Monte Carlo of jittered turns (of any pipeline), percentiles, budget-miss rates,
tail attribution (which stage makes the slow turns slow) and one-knob sweeps.

Every turn is an independent single-turn conversation with its own seed, run on
its own clock and trace, so turn ``i`` of a Monte Carlo run is exactly
``simulate([text], stages=..., seed=result.seeds[i])``, byte for byte: the same run (:func:`~voicelab.simulate.play`).
The turns of a process share one virtual event loop (:func:`~voicelab.engine.clock.run_many`), which keeps the cost per
turn low, and its time starts over at 0 for every turn, as on a fresh loop; only
the metrics and budget values of each turn are kept (``keep_traces=True`` keeps
the traces too, to draw or inspect the slow ones). With ``barge_in`` every turn is
interrupted by the next sentence (or a noise burst) and its interruption metrics are kept.
Long runs share their turns over worker processes on every core (``workers``, :mod:`voicelab.analysis.pool`), or over
any :class:`concurrent.futures.Executor` (``executor``, e.g. a dask cluster's), with the same values as in one
process.
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..budgets import LatencyBudgets, budget_names
from ..engine import v2v
from ..engine.clock import Clock, run_many
from ..engine.config import StageConfigs, param_info, split_param
from ..engine.context import stream_seeding
from ..engine.jupyterlite import in_browser
from ..engine.trace import Trace
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import ConfigError, check_number, check_numbers
from ..engine.vocabulary import MarkName, SpanName
from ..metrics import METRIC_NAMES, budget_values, production_metrics, turn_metrics
from ..pipelines import PIPELINES, StreamingPipeline
from ..presets import get_preset
from ..simulate import MAX_SEED, Pipeline, check_run_options, check_texts, play
from ..turntaking.interruptions import BargeIn, Interruption, backchannel_metrics, interruption_metrics
from . import pool

PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)
DEFAULT_JITTER = 1.5  # p95 / median of every stage when the preset has no jitter of its own
# About 1.3 kB of kept values per turn and a few hundred to a thousand turns/s: a million turns is ~1.3 GB and
# well under an hour here; ten million would not fit a laptop's memory (and took hours).
MAX_TURNS = 1_000_000
# From here on a run uses every core by default (monte_carlo's workers): ~0.8 s of turns on one core, against
# ~0.3 s of CPU to start the worker processes once (they then serve every later call).
POOL_MIN_TURNS = 500
PROGRESS_MIN_TURNS = 2_000  # below this a run takes about a second or less: no progress bar
_PROGRESS_STEP = 100
if in_browser():
    tqdm.monitor_interval = 0  # tqdm's monitor is a thread, which the browser cannot start (it would warn)

Extractor = Callable[[Trace, int], Mapping[str, float | None]]


# Voice-to-voice, cut into consecutive parts that add up to it exactly (see stage_components), named by the one
# vocabulary of voice-to-voice parts (voicelab.engine.v2v). A run at the defaults has the five COMPONENTS; a
# production agent adds OPTIONAL_COMPONENTS (cold starts, a tool's round trip, reasoning, the TTS's leading
# silence), each only in a run whose stages have it.
COMPONENTS: tuple[str, ...] = v2v.SIMULATED_CORE
OPTIONAL_COMPONENTS: tuple[str, ...] = v2v.SIMULATED_OPTIONAL
COMPONENT_ORDER: tuple[str, ...] = v2v.SIMULATED
COMPONENT_LABELS: dict[str, str] = {name: v2v.LABELS[name] for name in v2v.SIMULATED}


def component_names(stages: StageConfigs | None = None) -> tuple[str, ...]:
    """The parts of voice-to-voice a run with ``stages`` has: :data:`COMPONENTS`, plus each optional part whose
    setting is above 0 (``llm.connect_s``, ``llm.tool_call_s``, ``llm.thinking_s``, ``tts.connect_s``,
    ``tts.leading_silence_s``), in the order they happen."""
    if stages is None:
        return COMPONENTS
    on = {"llm_connect": stages.llm.connect_s, "llm_tool_call": stages.llm.tool_call_s,
          "llm_thinking": stages.llm.thinking_s, "tts_connect": stages.tts.connect_s,
          "tts_leading_silence": stages.tts.leading_silence_s}
    return tuple(name for name in COMPONENT_ORDER if name in COMPONENTS or on[name] > 0)


def stage_components(trace: Trace, turn: int, names: Sequence[str] | None = None) -> dict[str, float | None]:
    """Voice-to-voice of ``turn`` split at the trace's events into consecutive parts (seconds; they sum to it).

    speech end -> end of utterance (the endpointer's wait) -> final transcript (ASR backlog and
    finalization) -> first LLM token -> first TTS request (waiting for a whole clause) -> first audio.
    A production agent's waits split these further where the trace has them (:data:`OPTIONAL_COMPONENTS`: cold
    starts, the tool call and thinking before the first token, the TTS's leading silence after its first byte);
    a wait that ends after the reply's first text (a filler is spoken while the tool runs) is not part of it.
    ``names``: the parts to give (an absent optional one is 0); default :data:`COMPONENTS` and the optional parts
    the trace has. Shown in notebook 09.
    """
    times = trace.reply_times(turn)  # a turn the caller went on with after a cut: its final reply
    marks: dict[str, float | None] = {name: times.get(name) for name in (
        MarkName.SPEECH_END, MarkName.END_OF_UTTERANCE, MarkName.ASR_COMPLETE, MarkName.LLM_FIRST_TOKEN,
        MarkName.TTS_FIRST_CHUNK, MarkName.TTS_FIRST_AUDIBLE, MarkName.FILLER_SENT)}
    went_on = times.get(MarkName.CALLER_WENT_ON, -math.inf)  # the replies it cut started before it
    request: float | None = None
    spans: dict[str, tuple[float, float]] = {}
    for s in trace.spans:
        if s.turn != turn or s.stage not in ("llm", "tts") or s.start < went_on:
            continue
        if request is None and s.stage == "tts" and s.name == SpanName.TTFB:
            request = s.start
        part = v2v.PART_OF_SPAN.get((s.stage, s.name))
        if part is not None and part not in spans:
            spans[part] = (s.start, s.end)
    text, filler = marks[MarkName.LLM_FIRST_TOKEN], marks[MarkName.FILLER_SENT]
    if filler is not None and (text is None or filler < text):
        text = filler
    chunk, audible = marks[MarkName.TTS_FIRST_CHUNK], marks[MarkName.TTS_FIRST_AUDIBLE]
    # (part, the point it ends at) in order; an optional part's point is None when the trace does not have it
    ends: list[tuple[str, float | None]] = [("endpoint_wait", marks[MarkName.END_OF_UTTERANCE]),
                                            ("asr_final", marks[MarkName.ASR_COMPLETE])]
    for part in ("llm_connect", "llm_tool_call", "llm_thinking"):
        end = spans[part][1] if part in spans else None
        ends.append((part, end if end is not None and text is not None and end <= text + EPS else None))
    ends += [("llm_inference", text), ("first_clause", spans["tts_connect"][0] if "tts_connect" in spans else request),
             ("tts_connect", request if "tts_connect" in spans else None), ("tts_ttfb", chunk),
             ("tts_leading_silence", audible)]
    wanted = tuple(names) if names is not None else tuple(
        part for part, end in ends if part in COMPONENTS or end is not None)
    values: dict[str, float | None] = {}
    last = marks[MarkName.SPEECH_END]
    for part, end in ends:
        if part in OPTIONAL_COMPONENTS and end is None:
            values[part] = 0.0 if last is not None else None
            continue
        values[part] = None if last is None or end is None else to_ns_grid(end - last)
        last = end
    return {name: values[name] for name in wanted}


def turn_seeds(seed: int, turns: int) -> np.ndarray:
    """Independent per-turn seeds derived from ``seed``; the first k are the same whatever ``turns`` is."""
    return np.random.SeedSequence(seed).generate_state(turns, dtype=np.uint32)


def has_jitter(stages: StageConfigs) -> bool:
    """Whether any stage of ``stages`` draws its durations at random."""
    return any(getattr(getattr(stages, name), "jitter", 1.0) > 1.0 for name in ("asr", "llm", "tts"))


def _as_array(values: list[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=float)


@dataclass
class MonteCarloResult:
    """Per-turn values of many jittered turns, and the statistics derived from them.

    ``metrics[name]`` and ``budget_values[name]`` are arrays with one value per turn
    (NaN where a turn has none); ``extra`` holds what an ``extract`` function returned.
    """

    turns: int
    seed: int
    preset: str
    texts: tuple[str, ...]
    stages: StageConfigs
    budgets: LatencyBudgets
    seeds: np.ndarray
    metrics: dict[str, np.ndarray]
    budget_values: dict[str, np.ndarray]
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    traces: list[Trace] | None = None
    wall_s: float = 0.0
    components: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.wall_s if self.wall_s > 0 else math.inf

    def text_of(self, turn: int) -> str:
        """The caller's sentence in ``turn`` (the texts are used in turn, round robin)."""
        return self.texts[turn % len(self.texts)]

    def first(self, turns: int) -> MonteCarloResult:
        """This run's first ``turns`` turns: the values ``monte_carlo(turns, ...)`` gives with the same seed and
        settings (the turn seeds do not depend on the run's length, :func:`turn_seeds`), without running them
        again. ``wall_s`` is 0 (not timed); an ``extract`` name first seen after them stays, all NaN."""
        turns = int(check_number("turns", turns, 1, self.turns, integer=True))

        def cut(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: values[:turns] for name, values in arrays.items()}

        return replace(self, turns=turns, seeds=self.seeds[:turns], metrics=cut(self.metrics),
                       budget_values=cut(self.budget_values), extra=cut(self.extra), components=cut(self.components),
                       traces=None if self.traces is None else self.traces[:turns], wall_s=0.0)

    def percentiles(self, qs: Sequence[float] = PERCENTILES) -> dict[str, dict[str, float | None]]:
        """``{metric: {"p50": s, "p90": s, ...}}`` over the turns that have the metric (None if none do)."""
        out: dict[str, dict[str, float | None]] = {}
        for name, values in {**self.metrics, **self.extra}.items():
            present = values[~np.isnan(values)]
            out[name] = {f"p{q:g}": (to_ns_grid(float(np.percentile(present, q))) if present.size else None)
                         for q in qs}
        return out

    def miss_rates(self) -> dict[str, float | None]:
        """Per budget: the share of turns (with a value) whose value exceeded it."""
        rates: dict[str, float | None] = {}
        for name, values in self.budget_values.items():
            present = values[~np.isnan(values)]
            limit = getattr(self.budgets, name) + EPS  # the tolerance Verdict.ok uses
            rates[name] = to_ns_grid(float(np.mean(present > limit))) if present.size else None
        return rates

    def summary(self) -> dict[str, Any]:
        """The JSON document of ``python -m voicelab montecarlo --json``."""
        return {
            "turns": self.turns, "seed": self.seed, "preset": self.preset, "tail": self.stages.tail,
            "jitter": {name: getattr(self.stages, name).jitter for name in ("asr", "llm", "tts")},
            "wall_s": self.wall_s, "turns_per_s": self.turns_per_s if math.isfinite(self.turns_per_s) else None,
            "percentiles": self.percentiles(), "budgets": self.budgets.as_dict(), "miss_rates": self.miss_rates(),
            "tail_attribution": self.tail_attribution().as_dict() if self.components else None,
        }

    def tail_attribution(self, tail: float = 0.05) -> TailAttribution:
        """Which part of voice-to-voice makes the slowest ``tail`` share of turns slow (:func:`tail_attribution`)."""
        return tail_attribution(self, tail)


class _NoBar:
    """Stands in for a hidden progress bar (tqdm starts a monitor thread even when disabled)."""

    n = 0

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        self.n += n


Progress = bool | None | Callable[[int], object]


def _progress(turns: int, progress: Progress, desc: str) -> Any:
    show = turns >= PROGRESS_MIN_TURNS if progress is None else progress is True
    return tqdm(total=turns, unit="turn", desc=desc, leave=False) if show else _NoBar()


def _check_progress(progress: Any) -> None:
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise ConfigError(f"progress must be True, False, None or a function of the turns done; got {progress!r}")


def default_workers(turns: int) -> int:
    """Processes a run of ``turns`` uses when ``workers`` is not given: every core from :data:`POOL_MIN_TURNS`
    turns on (where the pool can run), else 1 (in-process)."""
    return pool.cpu_count() if turns >= POOL_MIN_TURNS and pool.available() else 1


def check_executor(executor: Any) -> Executor | None:
    """``executor`` as given to :func:`monte_carlo`: None or a :class:`concurrent.futures.Executor`; ConfigError."""
    if executor is not None and not isinstance(executor, Executor):
        raise ConfigError(f"executor must be a concurrent.futures.Executor (e.g. ThreadPoolExecutor(), "
                          f"WorkerPool(), a dask client's get_executor()) or None; got {executor!r}")
    return executor


def _workers_for(turns: int, workers: int | None, executor: Executor | None) -> int:
    """The workers a run's chunks are sized for: as given, else one per core on an ``executor``, else
    :func:`default_workers`."""
    if workers is not None:
        return workers
    return pool.cpu_count() if executor is not None else default_workers(turns)


def check_workers(workers: Any) -> int | None:
    """``workers`` as given to :func:`monte_carlo` (None or 1 to :data:`~voicelab.analysis.pool.MAX_WORKERS`).

    A ConfigError otherwise.
    """
    if workers is None:
        return None
    return int(check_number("workers", workers, 1, pool.MAX_WORKERS, integer=True,
                            unit=f"(processes; None: every core from {POOL_MIN_TURNS} turns on)"))


@dataclass(frozen=True)
class _Job:
    """What every turn of a Monte Carlo shares (sent once to each worker process)."""

    texts: tuple[str, ...]
    stages: StageConfigs
    budgets: LatencyBudgets
    pipeline: Callable[[], Pipeline]
    extract: Extractor | None
    barge_in: BargeIn | None
    keep_traces: bool
    interruption: Interruption | None = None


@dataclass
class _Rows:
    """The values of a run of consecutive turns: one array per name (NaN where a turn has none)."""

    metrics: dict[str, np.ndarray]
    budget_values: dict[str, np.ndarray]
    components: dict[str, np.ndarray]
    extra: dict[str, np.ndarray]
    traces: list[Trace]


def _run_turns(job: _Job, chunk: tuple[int, np.ndarray], report: Callable[[int], None]) -> _Rows:
    """Turns ``first``, ``first + 1``, ... with ``seeds`` (``chunk = (first, seeds)``) on one virtual loop, each
    from t = 0 as in ``simulate()``; ``report(done)`` every few turns and at the end (it may raise to stop)."""
    first, seeds = chunk
    texts, pipeline, extract, barge_in = job.texts, job.pipeline, job.extract, job.barge_in
    second = barge_in is not None and barge_in.kind == "speech"
    chars_per_second = job.stages.tts.chars_per_second
    metric_rows: dict[str, list[float | None]] = {name: [] for name in METRIC_NAMES}
    parts = component_names(job.stages)
    waits = [name for name in parts if name in OPTIONAL_COMPONENTS]  # a production agent's: kept per turn
    if job.stages.llm.filler.strip():
        waits.append("filler_s")
    component_rows: dict[str, list[float | None]] = {name: [] for name in parts}
    budget_rows: dict[str, list[float | None]] = {name: [] for name in budget_names()}
    extra_rows: dict[str, list[float | None]] = {}
    kept: list[Trace] = []
    count = len(seeds)
    every = max(1, min(_PROGRESS_STEP, count // 20))
    seeding = stream_seeding(seeds)  # every turn's random streams, seeded in one go

    def turn(i: int) -> Callable[[Clock], Awaitable[None]]:
        k = first + i
        spoken = [texts[k % len(texts)], texts[(k + 1) % len(texts)]] if second else [texts[k % len(texts)]]
        played = play(pipeline(), spoken, job.stages, int(seeds[i]), seeding[i])

        async def main(clock: Clock) -> None:
            keep(i, await played(clock))

        return main

    def keep(i: int, trace: Trace) -> None:
        """Turn ``i``'s values, from its trace."""
        metrics = turn_metrics(trace, 0)
        for name, value in metrics.items():
            metric_rows[name].append(value)
        for name, value in budget_values(trace, 0, metrics).items():
            budget_rows[name].append(value)
        for name, value in stage_components(trace, 0, parts).items():
            component_rows[name].append(value)
        if barge_in is not None:
            for name, value in interruption_metrics(trace, 0, chars_per_second).items():
                extra_rows.setdefault(name, []).append(value)
            if job.interruption is not None or barge_in.backchannel:
                for name, value in backchannel_metrics(trace, 0).items():
                    extra_rows.setdefault(name, []).append(value)
        if waits:
            found = production_metrics(trace, 0)
            for name in waits:
                extra_rows.setdefault(name, []).append(found[name])
        if extract is not None:
            for name, value in extract(trace, 0).items():
                extra_rows.setdefault(name, [None] * i).append(value)
            for values in extra_rows.values():
                values.extend([None] * (i + 1 - len(values)))
        if job.keep_traces:
            kept.append(trace)
        if (i + 1) % every == 0 or i + 1 == count:
            report(i + 1)

    run_many(map(turn, range(count)))
    return _Rows(metrics={k: _as_array(v) for k, v in metric_rows.items()},
                 budget_values={k: _as_array(v) for k, v in budget_rows.items()},
                 components={k: _as_array(v) for k, v in component_rows.items()},
                 extra={k: _as_array(v) for k, v in extra_rows.items()}, traces=kept)


def _join(parts: list[_Rows]) -> _Rows:
    """Consecutive runs of turns as one (a name some parts lack is NaN for their turns)."""
    if len(parts) == 1:
        return parts[0]
    sizes = [len(next(iter(part.metrics.values()))) for part in parts]

    def glue(pick: Callable[[_Rows], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        names = list(dict.fromkeys(name for part in parts for name in pick(part)))
        return {name: np.concatenate([pick(part).get(name, np.full(size, math.nan))
                                      for part, size in zip(parts, sizes, strict=True)]) for name in names}

    return _Rows(metrics=glue(lambda r: r.metrics), budget_values=glue(lambda r: r.budget_values),
                 components=glue(lambda r: r.components), extra=glue(lambda r: r.extra),
                 traces=[trace for part in parts for trace in part.traces])


_CHUNK_TURNS = (10, 2_000)  # the fewest and the most turns in one chunk of work for a worker process
_POLL_S = 0.05  # how often a run over an Executor passes its progress on (and lets its callback cancel it)


def _chunks(sizes: Sequence[int], workers: int) -> list[tuple[int, int, int]]:
    """Chunks ``(run, first, count)`` of consecutive turns over runs of ``sizes`` turns, in order, for ``workers``
    processes. Each takes about half a worker's share of the turns left, so the chunks shrink toward the end and
    the workers finish close together (the values do not depend on the chunks)."""
    fewest, most = _CHUNK_TURNS
    left = sum(sizes)
    chunks: list[tuple[int, int, int]] = []
    for run_index, size in enumerate(sizes):
        first = 0
        while first < size:
            count = min(size - first, most, max(fewest, -(-left // (2 * workers))))
            if size - first - count < fewest:  # no sliver left over
                count = min(size - first, most)
            chunks.append((run_index, first, count))
            first += count
            left -= count
    return chunks


def _run_chunk(job: _Job, first: int, seeds: np.ndarray) -> _Rows:
    """A chunk of work for an Executor: turns ``first``, ``first + 1``, ... of ``job`` with ``seeds``, passing its
    progress on through :func:`~voicelab.analysis.pool.report` (in a worker of
    :class:`~voicelab.analysis.pool.WorkerPool`)."""
    return _run_turns(job, (first, seeds), pool.report)


def _executor_for(jobs: Sequence[_Job], workers: int, executor: Executor | None) -> Executor | None:
    """Where the turns run: the ``executor`` given, else the shared worker pool when it can take them (more than
    one worker, processes here, no traces kept, a job it can send), else None (in this process)."""
    if executor is not None:
        return executor
    if workers > 1 and pool.available() and not any(job.keep_traces for job in jobs) and pool.payload(jobs):
        return pool.shared(workers)
    return None


def _run_all(runs: Sequence[tuple[_Job, np.ndarray]], workers: int, progress: Progress, desc: str,
             executor: Executor | None = None) -> list[_Rows]:
    """Every turn of every run ``(job, seeds)``, in-process or in chunks over an Executor sized for ``workers``
    (the same values either way), showing progress over them all."""
    jobs = [job for job, _ in runs]
    sizes = [len(seeds) for _, seeds in runs]
    executor = _executor_for(jobs, workers, executor)
    with _progress(sum(sizes), progress, desc) as bar:

        def report(done: int) -> None:
            bar.update(done - bar.n)
            if callable(progress):
                progress(done)

        if executor is None:
            rows: list[_Rows] = []
            for job, seeds in runs:

                def step(done: int, before: int = sum(sizes[:len(rows)])) -> None:
                    report(before + done)

                rows.append(_run_turns(job, (0, seeds), step))
            return rows
        chunks = _chunks(sizes, workers)
        parts = _share(executor, [(_run_chunk, jobs[index], first, runs[index][1][first:first + count])
                                  for index, first, count in chunks], [count for _, _, count in chunks], report)
        return [_join([part for (index, _, _), part in zip(chunks, parts, strict=True) if index == run])
                for run in range(len(runs))]


def _put_index(finished: queue.SimpleQueue[int], index: int, _: Future[Any]) -> None:
    finished.put(index)


def _share(executor: Executor, calls: Sequence[tuple[Any, ...]], sizes: Sequence[int],
           report: Callable[[int], None]) -> list[Any]:
    """``[f(*args) for f, *args in calls]`` on ``executor``, ``report(done)`` every few hundredths of a second (the
    ``sizes`` of the calls finished, and what the running ones passed to :func:`~voicelab.analysis.pool.report`).
    Whatever ``report`` raises, an error in a call, or Ctrl-C cancels every call (stopping those running on a
    :class:`~voicelab.analysis.pool.WorkerPool`) and is raised.

    While it waits, this thread takes no lock the executor's threads need: a finished call's index comes through a
    queue (its done-callback), and progress is a plain attribute. ``concurrent.futures.wait`` takes every
    future's lock in a Python loop, and a Ctrl-C landing inside that loop leaves some of them held for ever, so
    the executor's thread blocks on them and the program cannot exit."""
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
    futures: list[Future[Any]] = []
    try:
        for index, call in enumerate(calls):
            futures.append(executor.submit(*call))
            futures[-1].add_done_callback(partial(_put_index, finished, index))
        done = [False] * len(futures)
        while not all(done):
            try:
                index = finished.get(timeout=_POLL_S)
            except queue.Empty:
                pass
            else:
                done[index] = True
                futures[index].result()  # an error in a call is raised here
            report(sum(size if over else getattr(future, "progress", 0)
                       for future, size, over in zip(futures, sizes, done, strict=True)))
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise


@dataclass(frozen=True)
class _Plan:
    """A checked Monte Carlo run: what its turns share, their seeds, and what its result names."""

    job: _Job
    seeds: np.ndarray
    seed: int
    preset: str


def _plan(turns: int, *, seed: int = 0, preset: str = "seed", texts: Sequence[str] | str | None = None,
          stages: StageConfigs | None = None, budgets: LatencyBudgets | None = None, jitter: float | None = None,
          tail: str | None = None, pipeline: str | Callable[[], Pipeline] = StreamingPipeline,
          extract: Extractor | None = None, keep_traces: bool = False, barge_in: BargeIn | None = None,
          interruption: Interruption | None = None) -> _Plan:
    """The arguments of :func:`monte_carlo` checked (ConfigError) and turned into a run to make."""
    check_run_options(budgets, stages)
    if isinstance(pipeline, str):
        if pipeline not in PIPELINES:
            raise ConfigError(f"pipeline must be one of {', '.join(PIPELINES)} or a function making a pipeline; "
                              f"got {pipeline!r}")
        pipeline = PIPELINES[pipeline]
    for name, function in (("pipeline", pipeline), ("extract", extract)):
        if function is not None and not callable(function):
            raise ConfigError(f"{name} must be a function (or class) to call; got {function!r}")
    chosen = get_preset(preset)
    turns = int(check_number("turns", turns, 1, MAX_TURNS, integer=True))
    seed = int(check_number("seed", seed, 0, MAX_SEED, integer=True))
    texts = check_texts(chosen.inputs if texts is None else texts)
    stages = chosen.stages if stages is None else stages
    budgets = chosen.budgets if budgets is None else budgets
    if jitter is not None:
        lo, hi = param_info("asr.jitter")["range"]
        jitter = check_number("jitter", jitter, lo, hi, unit="x (p95 / median)")
    if jitter is not None or not has_jitter(stages):
        stages = stages.with_jitter(DEFAULT_JITTER if jitter is None else jitter, tail)
    elif tail is not None:
        stages = replace(stages, tail=tail)  # validated like any StageConfigs
    if interruption is not None:
        if not isinstance(interruption, Interruption):
            raise ConfigError(f"interruption must be an Interruption; got {interruption!r}")
        if barge_in is None:
            raise ConfigError("interruption decides what speech over the agent does: add barge_in")
    if barge_in is not None:
        if not isinstance(barge_in, BargeIn):
            raise ConfigError(f"barge_in must be a BargeIn; got {barge_in!r}")
        make: Callable[..., Pipeline] = pipeline
        options: dict[str, Any] = {"barge_in": barge_in} if interruption is None else {
            "barge_in": barge_in, "interruption": interruption}
        try:
            make(**options)
        except TypeError:
            raise ConfigError(f"barge_in needs a pipeline that takes one (e.g. the streaming pipeline); got "
                              f"{pipeline!r}") from None
        pipeline = partial(make, **options)
    job = _Job(texts, stages, budgets, pipeline, extract, barge_in, keep_traces, interruption)
    return _Plan(job, turn_seeds(seed, turns), seed, chosen.name)


def _monte_carlos(plans: Sequence[_Plan], workers: int, progress: Progress, desc: str,
                  executor: Executor | None = None) -> list[MonteCarloResult]:
    """Every plan's turns in one go (:func:`_run_all`); each result's ``wall_s`` is its share, by turns, of the
    time they took together."""
    started = time.perf_counter()
    rows = _run_all([(plan.job, plan.seeds) for plan in plans], workers, progress, desc, executor)
    wall = time.perf_counter() - started
    total = sum(len(plan.seeds) for plan in plans)
    return [MonteCarloResult(
        turns=len(plan.seeds), seed=plan.seed, preset=plan.preset, texts=plan.job.texts, stages=plan.job.stages,
        budgets=plan.job.budgets, seeds=plan.seeds, metrics=part.metrics, budget_values=part.budget_values,
        extra=part.extra, traces=part.traces if plan.job.keep_traces else None,
        wall_s=wall * len(plan.seeds) / total, components=part.components,
    ) for plan, part in zip(plans, rows, strict=True)]


def monte_carlo(turns: int = 1000, *, seed: int = 0, preset: str = "seed", texts: Sequence[str] | str | None = None,
                stages: StageConfigs | None = None, budgets: LatencyBudgets | None = None,
                jitter: float | None = None, tail: str | None = None,
                pipeline: str | Callable[[], Pipeline] = StreamingPipeline, extract: Extractor | None = None,
                keep_traces: bool = False, progress: Progress = None,
                barge_in: BargeIn | None = None, workers: int | None = None,
                interruption: Interruption | None = None, executor: Executor | None = None) -> MonteCarloResult:
    """Run ``turns`` independent jittered turns and keep each one's metrics and budget values.

    Stage timings come from ``stages`` (default: the preset's). ``jitter`` (p95 / median)
    and ``tail`` override every stage's spread; when neither the stages nor ``jitter``
    give any spread, :data:`DEFAULT_JITTER` is used. Turn ``i`` speaks ``texts[i % len(texts)]``
    (default: the preset's inputs), played by a fresh ``pipeline()`` (a name from
    :data:`~voicelab.pipelines.PIPELINES` or a function making one; default: streaming), as
    :func:`~voicelab.simulate.simulate` plays it (:func:`~voicelab.simulate.play`, every turn on one loop by
    :func:`~voicelab.engine.clock.run_many`). ``extract(trace, 0)`` may return more per-turn values
    to keep (in ``result.extra``). A progress bar shows for long runs (``progress=None``), always
    (``True``) or never (``False``); a function as ``progress`` is called with the number of turns done
    every few turns, and whatever it raises stops the run and is raised (how a dashboard cancels one).
    ``barge_in``: turn ``i`` is interrupted by ``texts[i + 1]`` (or a noise burst) and the
    interruption metrics (:data:`~voicelab.turntaking.interruptions.INTERRUPTION_NAMES`) go to ``extra``; with
    ``interruption`` (the agent's policy) or a backchannel, also
    :data:`~voicelab.turntaking.interruptions.BACKCHANNEL_NAMES`.

    ``workers``: how many processes share the turns (1 to 64; default: every core from
    :data:`POOL_MIN_TURNS` turns on, else 1). The values are the same for any number of them: turn ``i``
    is always ``simulate()`` of ``result.seeds[i]``. The processes start once and serve later calls. A run
    stays in this process when they cannot help: in the browser, with ``keep_traces``, or when ``pipeline``
    or ``extract`` cannot be sent to another process (a lambda, a closure, a class defined in a notebook).

    ``executor``: any :class:`concurrent.futures.Executor` to run the turns on instead, in chunks sized for
    ``workers`` (default: one per core), e.g. a ``ThreadPoolExecutor`` or a ``dask.distributed`` client's
    ``get_executor()``; the values are the same on any of them. Progress then moves as chunks finish.
    """
    _check_progress(progress)
    workers = check_workers(workers)
    executor = check_executor(executor)
    plan = _plan(turns, seed=seed, preset=preset, texts=texts, stages=stages, budgets=budgets, jitter=jitter,
                 tail=tail, pipeline=pipeline, extract=extract, keep_traces=keep_traces, barge_in=barge_in,
                 interruption=interruption)
    count = len(plan.seeds)
    return _monte_carlos([plan], _workers_for(count, workers, executor), progress, "Monte Carlo", executor)[0]


@dataclass(frozen=True)
class TailAttribution:
    """How the slowest turns' voice-to-voice excess splits over the :data:`COMPONENTS`.

    ``excess[c]``: mean of component ``c`` over the tail turns minus its median over all turns
    (seconds); ``share[c]``: that excess over the sum of the excesses. ``total_excess``: mean
    voice-to-voice of the tail minus its median. ``dominant``: the component with the largest excess.
    """

    tail: float
    turns: int
    threshold: float
    total_excess: float
    median: dict[str, float]
    tail_mean: dict[str, float]
    excess: dict[str, float]
    share: dict[str, float]

    @property
    def dominant(self) -> str:
        return max(self.excess, key=lambda name: self.excess[name])

    def as_dict(self) -> dict[str, Any]:
        return {"tail": self.tail, "turns": self.turns, "threshold": self.threshold,
                "total_excess": self.total_excess, "dominant": self.dominant, "median": self.median,
                "tail_mean": self.tail_mean, "excess": self.excess, "share": self.share}


@dataclass(frozen=True)
class TurnArrays:
    """Per-turn values, one array per name (NaN where a turn lacks one): what :func:`tail_attribution` reads.

    A :class:`MonteCarloResult` has the same two fields; imported turns (:mod:`voicelab.analysis.analyze`) use this.
    """

    metrics: Mapping[str, np.ndarray]
    components: Mapping[str, np.ndarray]


def tail_attribution(result: MonteCarloResult | TurnArrays, tail: float = 0.05) -> TailAttribution:
    """In the slowest ``tail`` share of turns by voice-to-voice, each component's excess over its median.

    The components add up to voice-to-voice turn by turn, so their excesses explain the tail's
    excess (up to the difference between the median of a sum and the sum of medians). ``result`` is
    anything with ``metrics["voice_to_voice"]`` and ``components`` arrays (imported turns use their own parts).
    """
    tail = check_number("tail", tail, 0.0, 0.5, unit="(share of turns)", lo_open=True)
    v2v = result.metrics["voice_to_voice"]
    ok = ~np.isnan(v2v)
    for values in result.components.values():
        ok &= ~np.isnan(values)
    if not ok.any():
        raise ValueError("tail_attribution: no turn has every voice-to-voice component")
    threshold = float(np.percentile(v2v[ok], 100 * (1 - tail)))
    slow = ok & (v2v >= threshold)
    median = {n: to_ns_grid(float(np.median(result.components[n][ok]))) for n in result.components}
    tail_mean = {n: to_ns_grid(float(np.mean(result.components[n][slow]))) for n in result.components}
    excess = {n: to_ns_grid(tail_mean[n] - median[n]) for n in result.components}
    total = sum(max(0.0, e) for e in excess.values())
    share = {n: to_ns_grid(max(0.0, e) / total) if total > 0 else 0.0 for n, e in excess.items()}
    return TailAttribution(tail=tail, turns=int(slow.sum()), threshold=to_ns_grid(threshold),
                           total_excess=to_ns_grid(float(np.mean(v2v[slow]) - np.median(v2v[ok]))),
                           median=median, tail_mean=tail_mean, excess=excess, share=share)


@dataclass(frozen=True)
class SweepResult:
    """One knob over several values: the p50 and p95 of ``metric`` at each (seconds)."""

    param: str
    values: tuple[float, ...]
    p50: tuple[float | None, ...]  # None where no turn has the metric
    p95: tuple[float | None, ...]
    turns: int
    metric: str = "voice_to_voice"
    budget: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"param": self.param, "metric": self.metric, "turns": self.turns, "budget": self.budget,
                "points": [{"value": v, "p50": a, "p95": b} for v, a, b in zip(self.values, self.p50, self.p95,
                                                                              strict=True)]}


def sweep(param: str, values: Sequence[float], turns: int = 300, *, preset: str = "seed",
          stages: StageConfigs | None = None, metric: str = "voice_to_voice",
          progress: bool | None = None, **options: Any) -> SweepResult:
    """Monte Carlo at each value of one knob ``param`` ("STAGE.PARAM"): p50 and p95 of ``metric`` against it.

    Every value is validated before anything runs. ``options`` go to :func:`monte_carlo`
    (seed, jitter, tail, texts, budgets, ...); each value runs the same seeds. ``workers`` and ``executor`` as in
    :func:`monte_carlo`, by default every core once all the values' turns together reach :data:`POOL_MIN_TURNS`;
    the workers share every value's turns in one go. ``progress`` as in :func:`monte_carlo`, over all the turns.
    """
    workers = check_workers(options.pop("workers", None))
    executor = check_executor(options.pop("executor", None))
    split_param(param)
    values = check_numbers(f"values of {param}", values)
    check_run_options(options.get("budgets"), stages)
    if metric not in METRIC_NAMES:
        raise ConfigError(f"metric must be one of {', '.join(METRIC_NAMES)}; got {metric!r}")
    base = get_preset(preset).stages if stages is None else stages
    variants = [base.with_params({param: v}) for v in values]
    turns = int(check_number("turns", turns, 1, MAX_TURNS // len(values), integer=True,
                             unit=f"per value ({MAX_TURNS} in all)"))
    _check_progress(progress)
    plans = [_plan(turns, preset=preset, stages=variant, **options) for variant in variants]
    workers = _workers_for(len(values) * turns, workers, executor)
    p50: list[float | None] = []
    p95: list[float | None] = []
    for result in _monte_carlos(plans, workers, progress, f"sweep {param}", executor):
        pct = result.percentiles((50, 95))[metric]
        p50.append(pct["p50"])
        p95.append(pct["p95"])
    budgets = options.get("budgets") or get_preset(preset).budgets
    budget = getattr(budgets, metric, None)
    return SweepResult(param, values, tuple(p50), tuple(p95), turns, metric, budget)


@dataclass(frozen=True)
class FalseInterruptions:
    """Per ``vad.min_speech_s``: the share of noise bursts (lengths in ``bursts``) that stopped the agent."""

    min_speech: tuple[float, ...]
    bursts: tuple[float, ...]
    rates: tuple[float, ...]
    latency: tuple[float | None, ...]  # median interruption latency of real speech at each setting (s)


def false_interruptions(min_speech: Sequence[float], bursts: Sequence[float], *, after_s: float = 0.3,
                        preset: str = "seed", stages: StageConfigs | None = None, text: str = "Hello there.",
                        seed: int = 0) -> FalseInterruptions:
    """Noise bursts during the agent's reply at each minimum speech duration: how many interrupt it.

    Each burst starts ``after_s`` after the agent's first audio; a burst that interrupts is a false
    interruption. ``latency`` is the price of a longer minimum: the interruption latency when the
    caller really speaks (the next sentence) at that setting.
    """
    from ..simulate import simulate

    min_speech = check_numbers("min_speech", min_speech)
    bursts = check_numbers("bursts", bursts)
    check_run_options(None, stages)
    check_texts([text])
    base = get_preset(preset).stages if stages is None else stages
    settings = [base.with_params({"vad.min_speech_s": v}) for v in min_speech]
    checks = [BargeIn(after_s, burst_s=b) for b in bursts]
    rates: list[float] = []
    latency: list[float | None] = []
    for variant in settings:
        hits = 0
        for barge_in in checks:
            result = simulate([text], pipeline=StreamingPipeline(barge_in=barge_in), stages=variant, seed=seed)
            hits += result.interruption(0)["interrupted"]
        rates.append(to_ns_grid(hits / len(checks)))
        speech = simulate([text, text], pipeline=StreamingPipeline(barge_in=BargeIn(after_s)), stages=variant,
                          seed=seed)
        latency.append(speech.interruption(0)["interruption_latency"])
    return FalseInterruptions(tuple(float(v) for v in min_speech), tuple(float(b) for b in bursts), tuple(rates),
                              tuple(latency))


@dataclass(frozen=True)
class SpeculationTradeoff:
    """Per ``stable_s``: median voice-to-voice saved against no speculation, and how much LLM work was thrown away."""

    stable_s: tuple[float, ...]
    saved_p50: tuple[float, ...]  # s: p50 voice-to-voice without speculation minus with it
    discard_rate: tuple[float, ...]  # discarded speculations / speculations started
    used_rate: tuple[float, ...]  # share of turns whose reply came from a speculation
    baseline_p50: float
    turns: int


def speculation_tradeoff(stable_s: Sequence[float], turns: int = 200, *, preset: str = "production",
                         stages: StageConfigs | None = None, seed: int = 0, **options: Any) -> SpeculationTradeoff:
    """Monte Carlo with the LLM speculating on partials stable for each ``stable_s``, against none (same seeds).

    ``workers`` and ``executor`` as in :func:`monte_carlo`, by default every core once all the runs' turns reach
    :data:`POOL_MIN_TURNS`; the workers share every run's turns in one go. ``progress`` as in :func:`monte_carlo`,
    over all the turns."""
    from ..stages.speculative import Speculation, speculation_metrics

    workers = check_workers(options.pop("workers", None))
    executor = check_executor(options.pop("executor", None))
    progress = options.pop("progress", None)
    _check_progress(progress)
    settings = [Speculation(s) for s in stable_s]
    if not settings:
        raise ConfigError("stable_s: give at least one value")
    plans = [_plan(turns, preset=preset, stages=stages, seed=seed, **options)]
    plans += [_plan(turns, preset=preset, stages=stages, seed=seed, extract=speculation_metrics,
                    pipeline=partial(StreamingPipeline, speculation=setting), **options) for setting in settings]
    count = len(plans) * len(plans[0].seeds)
    base, *runs = _monte_carlos(plans, _workers_for(count, workers, executor), progress, "speculation", executor)
    baseline = float(np.median(base.metrics["voice_to_voice"]))
    saved, discards, used = [], [], []
    for result in runs:
        saved.append(to_ns_grid(baseline - float(np.median(result.metrics["voice_to_voice"]))))
        started = float(np.nansum(result.extra["speculations"]))
        discards.append(to_ns_grid(float(np.nansum(result.extra["discarded"])) / started) if started else 0.0)
        used.append(to_ns_grid(float(np.nanmean(result.extra["used"]))))
    return SpeculationTradeoff(tuple(s.stable_s for s in settings), tuple(saved), tuple(discards), tuple(used),
                               to_ns_grid(baseline), turns)
