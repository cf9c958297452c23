"""Command line: ``python -m voicelab demo``, ``montecarlo``, ``sweep`` and ``analyze``.

Every argument is validated (with voicelab's own checks) before anything runs; a bad
one exits with status 2 and a single line on stderr naming the problem.
Adding a subcommand is one entry in :data:`COMMANDS`: a function adding its
arguments and a function running it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

from ..budgets import LatencyBudgets
from ..engine.clock import CLOCK_MODES, ClockMode
from ..engine.config import StageConfigs
from ..engine.shutdown import INTERRUPTED, STOPPER
from ..engine.untrusted import MaskedLines, escape_controls, known_secrets, redact
from ..engine.validation import ConfigError, check_number, parse_number
from ..engine.vocabulary import MarkName
from ..metrics import METRIC_NAMES, greeting_metrics
from ..pipelines import PIPELINES
from ..presets import PRESETS, get_preset
from ..simulate import MAX_SEED, RunResult, check_texts, simulate
from ..tables import fmt, text_table
from .options import (
    FIGURE_SUFFIXES,
    OutputError,
    Parser,
    UsageError,
    add_barge_in_options,
    add_budget_option,
    add_gantt_option,
    add_json_option,
    add_spread_options,
    add_turns_option,
    assignments,
    barge_in_from_args,
    integer,
    interruption_from_args,
    jitter_from_args,
    one_line,
    output_path,
    save,
    stage_assignments,
)
from .real import add_real_arguments, check_real_arguments, readable, real_pipeline
from .turns import (
    add_turn_arguments,
    print_rates,
    print_turns,
    turn_extract,
    turn_factory,
    turn_options,
    turn_summary,
    with_turn_options,
)


# -- shared options -------------------------------------------------------------------------------
def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """What is simulated: preset, caller texts, seed, stage timings, chunk size, budgets."""
    parser.add_argument("--preset", default="seed", metavar="NAME",
                        help=f"scenario: budgets, stage timings and inputs ({', '.join(PRESETS)}; default seed)")
    parser.add_argument("--text", action="append", metavar="TEXT",
                        help="what the caller says; repeat for several turns (default: the preset's inputs)")
    parser.add_argument("--seed", default="0", metavar="N", help=f"random seed, 0 to {MAX_SEED} (default 0)")
    parser.add_argument("--chunk-ms", metavar="MS", help="caller audio chunk duration in ms (caller.chunk_ms)")
    add_budget_option(parser, "change a latency budget, e.g. voice_to_voice=0.8 (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="STAGE.PARAM=VALUE", dest="params",
                        help="change a stage timing, e.g. asr.rtf=0.3, tts.leading_silence_s=0.2 or "
                             "llm.filler='One moment.' (repeatable)")
    add_json_option(parser)


@dataclass(frozen=True)
class ScenarioArgs:
    """A validated scenario from the command line."""

    preset: str
    texts: tuple[str, ...]
    seed: int
    budgets: LatencyBudgets
    stages: StageConfigs


def scenario_from_args(args: argparse.Namespace) -> ScenarioArgs:
    """Validate the scenario options; ConfigError names the first bad one."""
    preset = get_preset(args.preset)
    texts = check_texts(preset.inputs if args.text is None else args.text)
    seed = int(check_number("--seed", integer("--seed", args.seed), 0, MAX_SEED, integer=True))
    budgets = preset.budgets.replace(**assignments("--budget", args.budget))
    params = stage_assignments(args.params)
    if args.chunk_ms is not None:
        if "caller.chunk_ms" in params:
            raise UsageError("--chunk-ms and --set caller.chunk_ms set the same thing: give one of them")
        params["caller.chunk_ms"] = parse_number("--chunk-ms", args.chunk_ms)
    stages = preset.stages.with_params(params)
    return ScenarioArgs(preset.name, texts, seed, budgets, stages)


def _print_demo(result: RunResult, llm_info: dict[str, str] | None = None) -> None:
    from ..report import budget_table

    print(f"voicelab demo: {result.pipeline} pipeline, {result.clock} clock, seed {result.seed}")
    if llm_info is not None:
        print(f"LLM: {llm_info['engine']}, {llm_info['model']}")
    greeting = greeting_metrics(result.trace)
    if greeting is not None:
        print(f"\ngreeting (measured from the caller connecting; not a caller turn): first audible audio after "
              f"{fmt(greeting['greeting_latency'])} s, first byte after {fmt(greeting['tts_first_chunk'])} s, "
              f"{fmt(greeting['greeting_s'], 2)} s long")
    for turn in result.trace.turns:
        metrics = result.metrics(turn.index)
        print(f"\nturn {turn.index}: “{escape_controls(turn.input)}”")
        print(f"  heard:   {escape_controls(turn.transcript) or '—'}")
        print(f"  replied: {readable(turn.response) or '—'}")
        if llm_info is not None and (cut := _reply_cut(result, turn.index)) is not None:
            print(f"  (cut short at {cut['bound']} = {cut['limit']:g})")
        print()
        rows = [(name, fmt(metrics[name])) for name in METRIC_NAMES]
        rows += [(name, fmt(value)) for name, value in result.production(turn.index).items()]
        if "barge_in" in result.trace.meta:
            cut = result.interruption(turn.index)
            rows += [("interruption_latency", fmt(cut["interruption_latency"])), ("reply heard", fmt(cut["heard_s"]))]
            print(f"  {'interrupted' if cut['interrupted'] else 'not interrupted'}: the caller heard "
                  f"{fmt(cut['heard_s'], 2)} s of the reply ({fmt(100 * (cut['heard_fraction'] or 0), 0)} %)\n")
            if "stopped" in cut:
                print(f"  {_backchannel_line(cut)}\n")
        print(text_table(("metric", "time (s)"), rows, numbers=True))
        print()
        print(budget_table(result, turn.index, title=""))
    n = len(result.trace.turns)
    print(f"\n{n} turn{'s' if n != 1 else ''}, {fmt(result.trace.duration)} s of {result.clock} time "
          f"in {fmt(result.wall_s * 1000, 1)} ms of wall time")


def _backchannel_line(cut: dict[str, Any]) -> str:
    """What the agent did about the caller's interjection, with an interruption policy."""
    what = "a backchannel" if cut["backchannel"] else "speech"
    if not cut["stopped"]:
        return f"{what} over the agent: it talked on" + (" (a missed interruption)" if cut["missed"] else "")
    if cut["resumed"]:
        return f"{what} over the agent: it stopped for nothing and resumed after {fmt(cut['held_s'], 2)} s"
    return f"{what} over the agent: it stopped"


# -- demo -----------------------------------------------------------------------------------------
def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pipeline", choices=list(PIPELINES), default="streaming",
                        help="original (the tutorial's sequential chain) or streaming (default)")
    parser.add_argument("--clock", choices=list(CLOCK_MODES),
                        help="virtual (instant, deterministic; default) or realtime (--real: always realtime)")
    add_scenario_options(parser)
    add_barge_in_options(parser)
    add_turn_arguments(parser)
    add_gantt_option(parser, "save a Gantt chart of the run")
    parser.add_argument("--greeting", metavar="TEXT",
                        help="the agent speaks TEXT first, as the caller connects (streaming pipeline); its "
                             "latency is measured from the connect, its own row, outside the caller's turns")
    parser.add_argument("--trace", metavar="FILE.json", help="save the trace as Chrome/Perfetto trace-event JSON")
    add_real_arguments(parser)


def run_demo(args: argparse.Namespace) -> int:
    scenario = scenario_from_args(args)
    check_real_arguments(args)
    with ExitStack() as resources:  # a local LLM server lives as long as this block, however it ends
        return _demo(args, scenario, resources)


def _demo(args: argparse.Namespace, scenario: ScenarioArgs, resources: ExitStack) -> int:
    gantt_path = output_path("--gantt", args.gantt, FIGURE_SUFFIXES)
    trace_path = output_path("--trace", args.trace, (".json",))
    barge_in = barge_in_from_args(args)
    turns = turn_options(args)
    clock: ClockMode = "realtime" if args.real else args.clock or "virtual"
    pipeline: Any = args.pipeline
    llm_info: dict[str, str] | None = None
    try:
        if args.real:
            pipeline, llm_info = real_pipeline(args, scenario.texts, resources)
        if barge_in is not None:
            if pipeline == "original":
                raise UsageError("--barge-in needs the streaming pipeline; the original one never listens while it "
                                 "talks")
            pipeline = replace(PIPELINES["streaming"]() if isinstance(pipeline, str) else pipeline,
                               barge_in=barge_in, interruption=interruption_from_args(args))
        if args.greeting is not None:
            if pipeline == "original":
                raise UsageError("--greeting needs the streaming pipeline; the original one only answers")
            pipeline = replace(PIPELINES["streaming"]() if isinstance(pipeline, str) else pipeline,
                               greeting=args.greeting)
        pipeline = with_turn_options(pipeline, turns)
        if clock == "realtime":
            print(f"running {len(scenario.texts)} turn(s) on the real-time clock: this takes as long as the "
                  "conversation ...", file=sys.stderr, flush=True)
        result = simulate(scenario.texts, pipeline=pipeline, preset=scenario.preset, budgets=scenario.budgets,
                          stages=scenario.stages, seed=scenario.seed, clock=clock)
    except _endpoint_errors(args.real) as exc:  # the LLM failed (start, endpoint): one line (two with --trace)
        print(f"{args.command_prog}: error: {one_line(exc)}", file=sys.stderr)
        failed = getattr(exc, "trace", None)
        if trace_path is not None and failed is not None:
            _save_trace(trace_path, failed, "the trace of the failed run, up to the failure,")
        return 1
    if args.json:
        summary = result.summary()
        if llm_info is not None:
            cut = MarkName.REPLY_CUT.value  # the JSON field is named after the trace's mark
            summary = {**{k: v for k, v in summary.items() if k != "turns"}, "llm": llm_info,
                       "turns": [{**row, cut: _reply_cut(result, k)} for k, row in enumerate(summary["turns"])]}
        if turns:
            for row, extra in zip(summary["turns"], turn_summary(result), strict=True):
                row.update(extra)
        print(json.dumps(redact(summary), indent=2))
    else:
        _print_demo(result, llm_info)
        if turns:
            print_turns(result)
    if gantt_path is not None:
        from ..viz import gantt

        save("--gantt", gantt_path, gantt(result).savefig)
        print(f"wrote Gantt chart to {gantt_path}", file=sys.stderr)
    if trace_path is not None:
        _save_trace(trace_path, result.trace, "Perfetto trace")
    return 0


def _reply_cut(result: RunResult, turn: int) -> dict[str, Any] | None:
    """How a bound cut ``turn``'s real reply short (``{"bound", "limit"}``), or None."""
    from ..real.reply import reply_cut

    return reply_cut(result.trace, turn)


def _save_trace(path: Path, trace: Any, what: str) -> None:
    from ..export import write_perfetto

    save("--trace", path, lambda target: write_perfetto(trace, target))
    print(f"wrote {what} to {path} (open it in ui.perfetto.dev)", file=sys.stderr)


def _endpoint_errors(real: bool) -> tuple[type[Exception], ...]:
    """What a failing LLM endpoint raises in a ``--real`` run (nothing to catch otherwise)."""
    if not real:
        return ()
    from ..real import LlmError

    return (LlmError,)


# -- montecarlo -----------------------------------------------------------------------------------
def add_montecarlo_arguments(parser: argparse.ArgumentParser) -> None:
    add_turns_option(parser, 1000, "number of turns")
    add_scenario_options(parser)
    add_spread_options(parser)
    add_barge_in_options(parser)
    _add_workers_argument(parser)
    add_turn_arguments(parser)


def _add_workers_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", metavar="N", help="processes that share the turns, 1 to 64 (default: every "
                                                       "core once there are 500 turns or more; the same results)")


def _workers(args: argparse.Namespace) -> int | None:
    from ..analysis.pool import MAX_WORKERS

    if args.workers is None:
        return None
    return int(check_number("--workers", integer("--workers", args.workers), 1, MAX_WORKERS, integer=True))


def run_montecarlo(args: argparse.Namespace) -> int:
    from ..analysis.experiments import MAX_TURNS, PERCENTILES, monte_carlo

    scenario = scenario_from_args(args)
    turns = int(check_number("--turns", integer("--turns", args.turns), 1, MAX_TURNS, integer=True))
    jitter = jitter_from_args(args)
    workers = _workers(args)
    # monte_carlo validates jitter and tail before it runs anything
    barge_in = barge_in_from_args(args)
    interruption = interruption_from_args(args)
    options = turn_options(args)
    factory = turn_factory(options)
    extra = {"pipeline": factory, "extract": turn_extract} if factory is not None else {}
    result = monte_carlo(turns, seed=scenario.seed, preset=scenario.preset, texts=scenario.texts,
                         stages=scenario.stages, budgets=scenario.budgets, jitter=jitter, tail=args.tail,
                         barge_in=barge_in, interruption=interruption, workers=workers, **extra)
    if args.json:
        print(json.dumps(redact(result.summary()), indent=2))
        return 0
    stages = result.stages
    spread = ", ".join(f"{name} {getattr(stages, name).jitter:g}" for name in ("asr", "llm", "tts"))
    print(f"voicelab montecarlo: {result.turns} streaming turns, {result.preset} preset, seed {result.seed}, "
          f"jitter (p95/median) {spread}, {stages.tail} tail\n")
    pct = result.percentiles()
    keys = [f"p{q}" for q in PERCENTILES]
    print(text_table(("metric (s)", *keys), [(name, *(fmt(pct[name][k]) for k in keys))
                                             for name in (*METRIC_NAMES, *result.extra)], numbers=True))
    print()
    misses = result.miss_rates()
    print(text_table(("budget", "budget (s)", "missed by"),
                     [(name, fmt(getattr(result.budgets, name)),
                       "—" if rate is None else f"{rate * 100:.1f} % of turns") for name, rate in misses.items()],
                     numbers=True))
    _print_tail(result)
    if factory is not None:
        print_rates(result)
    print(f"\n{result.turns} turns in {fmt(result.wall_s, 2)} s of wall time ({result.turns_per_s:,.0f} turns/s)")
    return 0


def _print_tail(result: Any) -> None:
    from ..analysis.experiments import COMPONENT_LABELS
    from ..engine.v2v import TITLES

    tail = result.tail_attribution()
    print(f"\ntail attribution: the slowest {tail.tail:.0%} of turns ({tail.turns}, voice-to-voice >= "
          f"{fmt(tail.threshold)} s) are {fmt(tail.total_excess)} s slower than the median; "
          f"{TITLES[tail.dominant]} explains most of it\n")
    print(text_table(("part of voice-to-voice", "median (s)", "slowest (s)", "excess (s)", "share"),
                     [(COMPONENT_LABELS[name], fmt(tail.median[name]), fmt(tail.tail_mean[name]),
                       fmt(tail.excess[name]), f"{tail.share[name] * 100:.0f} %") for name in tail.median],
                     numbers=True))


# -- sweep ----------------------------------------------------------------------------------------
def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--param", required=True, metavar="STAGE.PARAM",
                        help="the knob to turn, e.g. vad.endpoint_silence_s, caller.chunk_ms, llm.ttft_s, "
                             "tts.first_chunk_s")
    parser.add_argument("--values", required=True, metavar="A,B,C", help="comma-separated values of the knob")
    add_turns_option(parser, 300, "jittered turns per value")
    add_scenario_options(parser)
    add_spread_options(parser)
    parser.add_argument("--chart", metavar="FILE.png", help="save the p50/p95 chart")
    _add_workers_argument(parser)


def _values(option: str, text: str) -> list[float]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise UsageError(f"{option} expects comma-separated numbers like 0.2,0.4,0.6; got {text!r}")
    return [parse_number(option, item) for item in items]


def run_sweep(args: argparse.Namespace) -> int:
    from ..analysis.experiments import MAX_TURNS, sweep
    from ..engine.config import split_param

    scenario = scenario_from_args(args)
    split_param(args.param)
    values = _values("--values", args.values)
    for value in values:  # each value validated before anything runs
        scenario.stages.with_params({args.param: value})
    if args.param in stage_assignments(args.params) or (args.param == "caller.chunk_ms" and args.chunk_ms):
        raise UsageError(f"--param {args.param} is what the sweep turns: do not also set it with --set or --chunk-ms")
    turns = int(check_number("--turns", integer("--turns", args.turns), 1, MAX_TURNS // len(values), integer=True,
                             unit=f"per value ({MAX_TURNS} in all)"))
    jitter = jitter_from_args(args)
    if jitter is not None:
        check_number("--jitter", jitter, 1.0, 20.0, unit="x (p95 / median)")
    workers = _workers(args)
    chart_path = output_path("--chart", args.chart, FIGURE_SUFFIXES)
    result = sweep(args.param, values, turns, preset=scenario.preset, stages=scenario.stages, seed=scenario.seed,
                   texts=scenario.texts, budgets=scenario.budgets, jitter=jitter, tail=args.tail, workers=workers)
    if args.json:
        print(json.dumps(redact(result.as_dict()), indent=2))
    else:
        print(f"voicelab sweep: {args.param} over {len(values)} values, {turns} jittered turns each, "
              f"{scenario.preset} preset, seed {scenario.seed}\n")
        print(text_table((args.param, "p50 voice-to-voice (s)", "p95 voice-to-voice (s)"),
                         [(f"{v:g}", fmt(a), fmt(b)) for v, a, b in zip(result.values, result.p50, result.p95,
                                                                         strict=True)], numbers=True))
    if chart_path is not None:
        from ..viz import chart

        save("--chart", chart_path, chart(result).savefig)
        print(f"wrote sweep chart to {chart_path}", file=sys.stderr)
    return 0


# -- analyze (voicelab.cli.analyze) -------------------------------------------------------------------
def _analyze_module() -> Any:
    from . import analyze

    return analyze


# -- entry point ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {
    "demo": Command("run the tutorial's turns through a pipeline and judge them against the budgets",
                    add_demo_arguments, run_demo),
    "montecarlo": Command("many jittered streaming turns: latency percentiles, budget-miss rates, tail attribution",
                          add_montecarlo_arguments, run_montecarlo),
    "sweep": Command("turn one knob over several values: p50 and p95 voice-to-voice at each",
                     add_sweep_arguments, run_sweep),
    "analyze": Command("import your own agent's trace (Pipecat, LiveKit, Deepgram, Vapi, voicelab): per-turn "
                       "verdicts, percentiles, tail attribution",
                       lambda parser: _analyze_module().add_arguments(parser),
                       lambda args: _analyze_module().run(args)),
}


def invoked_as() -> str:
    """The command as it was started: ``voicelab`` (the console script), else ``python -m voicelab``."""
    return "voicelab" if Path(sys.argv[0]).stem == "voicelab" else "python -m voicelab"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser, named ``prog`` in its usage and messages (default :func:`invoked_as`).

    Each subcommand's arguments carry ``command_prog``, e.g. "voicelab demo", for the messages it prints itself.
    """
    parser = Parser(prog=prog or invoked_as(), description="Measure how a voice agent spends its latency budget.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(command_parser)
        command_parser.set_defaults(command_prog=command_parser.prog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command; 2 with one line on stderr for bad arguments, 1 for an output file
    that cannot be written or a worker process lost, 130 when interrupted (Ctrl-C, or SIGTERM under :func:`entry`)."""
    args = build_parser().parse_args(argv)
    STOPPER.label = args.command_prog
    plain = sys.stdout
    if known_secrets() and plain is not None:  # a key is set: nothing printed may show it, in any form
        sys.stdout = MaskedLines(plain)
    try:
        return COMMANDS[args.command].run(args)
    except ConfigError as exc:
        print(f"{args.command_prog}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"{args.command_prog}: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        if not _worker_lost(exc):
            raise
        print(f"{args.command_prog}: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        STOPPER.announce()
        return INTERRUPTED
    finally:
        masked, sys.stdout = sys.stdout, plain
        if masked is not plain:
            masked.flush()


def _worker_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says a Monte Carlo worker process died or hung
    (:class:`~voicelab.analysis.pool.WorkerLost`): one line."""
    from ..analysis.pool import WorkerLost

    return isinstance(exc, WorkerLost)


def _configure_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure: Any = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of stdout cannot fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def entry() -> NoReturn:
    """Console entry point: exit status 0, 1 (run or output failed), 2 (bad arguments) or 130 (interrupted).

    Stopped by Ctrl-C or SIGTERM, it prints one line and leaves at once (no waiting for library threads,
    which were already told to stop); a closed or full stdout is one line too.
    """
    prog = invoked_as()
    if sys.stderr is None:
        os._exit(1)
    if sys.stdout is None:
        print(f"{prog}: error: standard output is closed; give the command somewhere to write "
              "(e.g. > file or > /dev/null)", file=sys.stderr)
        sys.exit(1)
    _configure_output()
    STOPPER.label = prog
    STOPPER.install()
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        _silence_stdout()
        code = 1
    except OSError as exc:
        if exc.filename is not None:  # a file, not a stream: not ours to explain
            raise
        _silence_stdout()
        print(f"{prog}: error: cannot write to standard output: {exc.strerror or exc}", file=sys.stderr)
        code = 1
    if code == INTERRUPTED:
        STOPPER.exit_now()  # library threads were told to stop; no waiting for them
    sys.exit(code)
