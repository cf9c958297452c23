"""Live integrations: a real agent writes the file ``python -m voicelab analyze`` reads, with one line added to the
agent (each needs its framework installed, the ``[frameworks]`` extra; this package itself imports neither).

- Pipecat: ``PipelineWorker(pipeline, params=PipelineParams(enable_metrics=True),
  observers=[VoicelabObserver("breakdowns.jsonl")])`` (or the deprecated ``PipelineTask``) with
  ``from voicelab.integrations.pipecat import VoicelabObserver``: each turn's latency breakdown (contributions
  per part, the greeting measured from the client connecting) is appended and flushed as the turn ends, so
  ``analyze`` can read the file while the agent runs.
- LiveKit Agents: ``record_session(session, "history.jsonl")`` before ``await session.start(...)``, with
  ``from voicelab.integrations.livekit import record_session``: when the session closes, its history
  (``ChatMessage.metrics``, what LiveKit 1.8 recommends over the deprecated ``metrics_collected`` events) is
  appended as one line.
"""

from __future__ import annotations

from .lines import append_line

__all__ = ["append_line"]
