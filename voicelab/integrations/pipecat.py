"""A Pipecat observer that writes each turn's latency breakdown for ``python -m voicelab analyze`` (needs
``pipecat-ai``, the ``[frameworks]`` extra)::

    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from voicelab.integrations.pipecat import VoicelabObserver

    worker = PipelineWorker(pipeline, params=PipelineParams(enable_metrics=True),
                            observers=[VoicelabObserver("breakdowns.jsonl")])

(``PipelineTask``, deprecated since Pipecat 1.3, takes the same ``observers=[...]``.)

It is Pipecat's own ``UserBotLatencyObserver`` (so its other events still fire) that appends every
``on_latency_breakdown`` as one JSON line, flushed as the turn ends: the ``pipecat-breakdown`` format.
"""

from __future__ import annotations

import os
from typing import Any

from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver

from .lines import append_line


class VoicelabObserver(UserBotLatencyObserver):
    """``UserBotLatencyObserver`` that appends each latency breakdown to ``path`` (JSON lines). Pipecat reports
    the breakdowns only with ``PipelineParams(enable_metrics=True)``."""

    def __init__(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = os.fspath(path)
        self.turns = 0

        @self.event_handler("on_latency_breakdown")
        async def _write(_observer: Any, breakdown: Any) -> None:
            append_line(self.path, breakdown.model_dump_json())
            self.turns += 1
