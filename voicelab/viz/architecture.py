"""The streaming pipeline's tasks and queues, read from the pipeline while it runs, so the figure cannot go stale.

:func:`pipeline_graph` runs one short turn and, when the LLM is first asked for a reply (every stage is running
by then), looks at the event loop's tasks: each task's coroutine is a stage loop, and the :class:`Channel`
objects among its arguments are its queues (``inbox`` is read; any other channel is written). The queues'
names are the pipeline's own names for them (variables, or attributes of the conversation holding them).
A stage that takes no time and has no task of its own (the VAD, an
:class:`~voicelab.stages.vad.EndpointingStage` its sender runs) is a box joined to its sender by a direct call.
:func:`architecture_chart` draws it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import CoroutineType
from typing import Any, cast

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..engine.channel import Channel
from ..engine.context import RunContext
from ..engine.validation import ConfigError, short
from ..stages.llm import LlmEngine
from ..stages.vad import EndpointingStage

#: The box of a stage its sender runs (an :class:`EndpointingStage`): it has no task, so no coroutine name.
DIRECT_STAGE = "vad"


@dataclass(frozen=True)
class Queue:
    """One channel between tasks: its variable name in the pipeline, capacity (0: unbounded), writers, readers."""

    name: str
    capacity: int
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    direct: bool = False  # no queue: the writer calls the reader's put() in its own task


def _frames(coro: Any) -> list[Any]:
    frames = []
    while isinstance(coro, CoroutineType) and coro.cr_frame is not None:
        frames.append(coro.cr_frame)
        coro = coro.cr_await
    return frames


@dataclass
class _Probe(LlmEngine):
    """An LLM engine that, on its first request, notes every running task's queues, then answers as ``engine``."""

    engine: LlmEngine
    tasks: dict[str, dict[str, Channel | EndpointingStage]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        if not self.tasks:
            for task in asyncio.all_tasks():
                frames = _frames(task.get_coro())
                if not frames:
                    continue
                top = frames[0]
                channels = {k: v for k, v in top.f_locals.items() if isinstance(v, (Channel, EndpointingStage))}
                if channels and not isinstance(top.f_locals.get("self"), Channel):
                    self.tasks[top.f_code.co_qualname] = channels
                for frame in frames:  # the frame that created the queues (or the object holding them) names them
                    owned: dict[int, str] = {}
                    holder = frame.f_locals.get("self")
                    keeps = hasattr(holder, "__dict__") and not isinstance(holder, Channel)
                    held = vars(holder).items() if keeps else ()
                    for k, v in (*frame.f_locals.items(), *held):  # a queue's first name (later ones are aliases)
                        if isinstance(v, Channel):
                            owned.setdefault(id(v), k)
                    if len(owned) > len(self.names):
                        self.names = owned
        async for token in self.engine.stream(prompt, ctx):
            yield token


def pipeline_graph(pipeline: Any = None) -> list[Queue]:
    """The queues of ``pipeline`` (default: the streaming pipeline) in the order the audio flows through them."""
    from ..pipelines import StreamingPipeline
    from ..simulate import simulate

    pipeline = pipeline if pipeline is not None else StreamingPipeline()
    if not dataclasses.is_dataclass(pipeline) or not hasattr(pipeline, "llm") or isinstance(pipeline, type):
        raise ConfigError(f"pipeline must be None or a pipeline object such as StreamingPipeline(); "
                          f"got {short(pipeline)}")
    probe = _Probe(pipeline.llm)
    simulate(texts=["Hello."], pipeline=dataclasses.replace(cast(Any, pipeline), llm=probe))
    queues: dict[int, Queue] = {}
    for task, channels in probe.tasks.items():
        for arg, channel in channels.items():
            if isinstance(channel, EndpointingStage):  # called in this task: a box, then its outbox queue
                queues[id(channel)] = Queue(arg, 0, (task,), (DIRECT_STAGE,), direct=True)
                out = channel.outbox
                size = getattr(out, "maxsize", 0)
                q = queues.get(id(out)) or Queue(probe.names.get(id(out), "outbox"), size, (), ())
                queues[id(out)] = dataclasses.replace(q, writers=(*q.writers, DIRECT_STAGE))
                continue
            q = queues.get(id(channel)) or Queue(probe.names.get(id(channel), arg), channel.maxsize, (), ())
            if arg == "inbox":
                q = dataclasses.replace(q, readers=(*q.readers, task))
            else:
                q = dataclasses.replace(q, writers=(*q.writers, task))
            queues[id(channel)] = q
    ordered, seen = [], set()
    frontier = [q for q in queues.values() if not any(w in r.readers for r in queues.values() for w in q.writers)]
    while frontier:
        q = frontier.pop(0)
        if q.name in seen:
            continue
        seen.add(q.name)
        ordered.append(q)
        frontier += [n for n in queues.values() if set(n.writers) & set(q.readers)]
    return ordered


# Boxes named by their role where the task's own name is an internal one (the stage loops keep theirs: they are
# the functions a reader finds in voicelab/stages/).
TASK_LABELS = {"Conversation._converse": "caller"}


def architecture_chart(pipeline: Any = None) -> Figure:
    """Tasks as boxes, queues as labelled arrows (name and capacity), drawn from :func:`pipeline_graph`."""
    from ..palette import stage_color
    from .style import FIGURE_DPI, FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE

    queues = pipeline_graph(pipeline)
    columns: list[list[str]] = []
    for q in queues:
        for group in (q.writers, q.readers):
            if not any(t in col for col in columns for t in group):
                columns.append(list(group))
    fig = Figure(figsize=(FIGURE_WIDTH, 1.7), dpi=FIGURE_DPI)
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.82))
    ax.set_xlim(0, len(columns))
    ax.set_ylim(-0.4, 0.75) if all(len(c) == 1 for c in columns) else ax.set_ylim(-1.0, 1.3)
    ax.axis("off")
    centre: dict[str, tuple[float, float]] = {}
    for x, col in enumerate(columns):
        for k, task in enumerate(col):
            y = 0.0 if len(col) == 1 else 0.6 - 1.2 * k / (len(col) - 1)
            centre[task] = (x + 0.5, y)
            label = TASK_LABELS.get(task, task)
            stage = label.removeprefix("run_").split(".")[-1].lstrip("_")
            ax.add_patch(FancyBboxPatch((x + 0.12, y - 0.28), 0.76, 0.56, boxstyle="round,pad=0.02",
                                        facecolor=stage_color(stage), alpha=0.35, edgecolor="#444444",
                                        linestyle="--" if task == DIRECT_STAGE else "-"))  # dashed: no task
            ax.text(x + 0.5, y, label.replace(".", "\n."), ha="center", va="center",
                    fontsize=FONT_SIZE - 1, family="monospace")
    for q in queues:
        for w in q.writers:
            for r in q.readers:
                (x0, y0), (x1, y1) = centre[w], centre[r]
                ax.annotate("", xy=(x1 - 0.38, y1), xytext=(x0 + 0.38, y0),
                            arrowprops={"arrowstyle": "->", "color": "#333333"})
        xs = [centre[t][0] for t in (*q.writers, *q.readers)]
        label = "put()\n(no queue)" if q.direct else f"{q.name}\n({q.capacity or '∞'})"
        ax.text((max(xs) + min(xs)) / 2, 0.32, label, ha="center", va="bottom", fontsize=LEGEND_FONT_SIZE,
                color="#333333")
    ax.set_title("streaming pipeline: tasks (boxes; dashed: run by its sender) and their queues (capacity in items)",
                 fontsize=FONT_SIZE + 1, loc="left")
    return fig
