"""A LiveKit Agents session hook that writes the session's history for ``python -m voicelab analyze`` (needs
``livekit-agents``, the ``[frameworks]`` extra)::

    from voicelab.integrations.livekit import record_session

    session = AgentSession(...)
    record_session(session, "history.jsonl")
    await session.start(agent=MyAgent(), room=ctx.room)

When the session closes, ``session.history.to_dict(exclude_timestamp=False)`` (each message's
``ChatMessage.metrics``: ``started_speaking_at``, ``e2e_latency``, ``llm_node_ttft``, ``tts_node_ttfb``, ...) is
appended as one JSON line: the ``livekit-history`` format, one line per session.
"""

from __future__ import annotations

import json
import os
from typing import Any

from livekit.agents import AgentSession

from .lines import append_line


def record_session(session: AgentSession, path: str | os.PathLike[str]) -> None:
    """Append ``session``'s history to ``path`` when it closes (call it before ``session.start``)."""
    target = os.fspath(path)

    @session.on("close")
    def _write(_event: Any) -> None:
        append_line(target, json.dumps(session.history.to_dict(exclude_timestamp=False)))
