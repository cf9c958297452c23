"""Command-line options for turn-taking and transport: ``--endpointing``, ``--hesitation``, ``--network``.

Shared by ``demo`` and ``montecarlo`` (see :mod:`voicelab.cli.main`): every value is validated
before anything runs; a bad one is a :class:`~voicelab.engine.validation.ConfigError` naming its range.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from functools import partial
from typing import Any

from ..engine.validation import ConfigError, check_number, parse_number, short
from ..pipelines import StreamingPipeline
from ..simulate import RunResult
from ..tables import fmt
from ..transport.legs import TRANSPORTS, get_transport, transport_metrics
from ..turntaking.hesitation import HesitatingCaller, HesitationConfig
from ..turntaking.measures import turn_taking_metrics
from ..turntaking.policies import POLICIES, parse_policy

TURN_NAMES: tuple[str, ...] = ("false_cutoff", "endpoint_delay", "talk_over_s")


def add_turn_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpointing", metavar="POLICY[:KEY=VALUE,...]",
                        help=f"endpointing policy ({', '.join(POLICIES)}), e.g. semantic or "
                             "minmax:min_delay_s=0.3,accuracy=0.9 (default: the VAD's fixed silence timeout)")
    parser.add_argument("--hesitation", metavar="RATE",
                        help="the caller hesitates (pauses, fillers, trailing off) at this share of word gaps, 0 to 1")
    parser.add_argument("--network", metavar="PRESET",
                        help=f"transport between caller and server ({', '.join(TRANSPORTS)}; default: none)")


def turn_options(args: argparse.Namespace) -> dict[str, Any]:
    """The validated :class:`~voicelab.pipelines.StreamingPipeline` fields the three options set ({} if none)."""
    options: dict[str, Any] = {}
    if args.endpointing is not None:
        try:
            options["endpointing"] = parse_policy(args.endpointing)
        except ConfigError as exc:
            raise ConfigError(f"--endpointing {short(args.endpointing)}: {exc}") from None
    if args.hesitation is not None:
        if getattr(args, "real", False):
            raise ConfigError("--hesitation simulates the caller; with --real the caller is espeak-ng: drop one")
        rate = check_number("--hesitation", parse_number("--hesitation", args.hesitation), 0.0, 1.0,
                            unit="(share of word gaps)")
        options["caller"] = HesitatingCaller(HesitationConfig(rate=rate))
    if args.network is not None:
        options["transport"] = get_transport(args.network)
    return options


def with_turn_options(pipeline: Any, options: dict[str, Any]) -> Any:
    """``pipeline`` (a name or a StreamingPipeline) with the options applied."""
    if not options:
        return pipeline
    if pipeline == "original" or (not isinstance(pipeline, str) and not isinstance(pipeline, StreamingPipeline)):
        raise ConfigError("--endpointing, --hesitation and --network need the streaming pipeline")
    return replace(StreamingPipeline() if isinstance(pipeline, str) else pipeline, **options)


def turn_factory(options: dict[str, Any]) -> Any:
    """A pipeline factory for ``monte_carlo`` (a fresh hesitating caller per turn), or None without options."""
    if not options:
        return None
    caller = options.get("caller")
    rest = {k: v for k, v in options.items() if k != "caller"}
    if caller is None:
        return partial(StreamingPipeline, **rest)
    return partial(_hesitating, caller.hesitation, **rest)


def _hesitating(hesitation: HesitationConfig, **options: Any) -> StreamingPipeline:
    """A streaming pipeline with a fresh hesitating caller (``options``: its other fields, barge-in among them)."""
    return StreamingPipeline(caller=HesitatingCaller(hesitation), **options)


def turn_extract(trace: Any, turn: int) -> dict[str, float | None]:
    """Per-turn turn-taking and transport values for ``monte_carlo(extract=...)`` (cut-off as 0/1)."""
    values = turn_taking_metrics(trace, turn)
    out: dict[str, float | None] = {name: values[name] for name in TURN_NAMES}
    out["false_cutoff"] = None if values["false_cutoff"] is None else float(values["false_cutoff"])
    if "transport" in trace.meta:
        out.update(transport_metrics(trace, turn))
    return out


def turn_summary(result: RunResult) -> list[dict[str, Any]]:
    """Per turn: the turn-taking values, and the transport values with a network."""
    rows = []
    for t in result.trace.turns:
        row: dict[str, Any] = {"turn_taking": turn_taking_metrics(result.trace, t.index)}
        if "transport" in result.trace.meta:
            row["transport"] = transport_metrics(result.trace, t.index)
        rows.append(row)
    return rows


def print_turns(result: RunResult) -> None:
    """The turn-taking (and transport) lines of ``demo``'s text output."""
    network = result.trace.meta.get("transport")
    print("\nturn-taking" + (f" and transport ({network})" if network else "") + ":")
    for t, row in zip(result.trace.turns, turn_summary(result), strict=True):
        tt = row["turn_taking"]
        verdict = "FALSE CUT-OFF" if tt["false_cutoff"] else "no cut-off"
        line = (f"  turn {t.index}: {verdict}, endpoint delay {fmt(tt['endpoint_delay'])} s, "
                f"agent talked over the caller {fmt(tt['talk_over_s'])} s")
        if network:
            tr = row["transport"]
            line += (f"; server voice-to-voice {fmt(tr['server_voice_to_voice'])} s, "
                     f"mouth-to-ear {fmt(tr['mouth_to_ear'])} s")
        print(line)


def print_rates(result: Any) -> None:
    """``montecarlo``'s turn-taking line: how often the agent cut in and talked over the caller."""
    import numpy as np

    cut, talk = result.extra["false_cutoff"], result.extra["talk_over_s"]
    print(f"\nturn-taking: false cut-offs in {100 * np.nanmean(cut):.1f} % of turns, the agent talked over "
          f"the caller in {100 * np.nanmean(talk > 0):.1f} %")
