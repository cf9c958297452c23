"""Turn-taking: when the agent decides the caller has finished, and when the caller takes the turn back.

``policies`` (silence timeout, min/max delay with a turn model, adaptive delay, a simulated semantic model),
``hesitation`` (callers who pause mid-sentence), ``endpointer`` (the one stage that applies a policy to audio),
``measures`` (endpoint delay and false cut-offs over many turns) and ``interruptions`` (barge-in).
"""

from . import endpointer, hesitation, interruptions, measures, policies

__all__ = ["endpointer", "hesitation", "interruptions", "measures", "policies"]
