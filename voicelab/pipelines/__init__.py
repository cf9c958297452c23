"""The two pipelines: ``original`` (the tutorial's sequential chain) and ``streaming`` (concurrent stages)."""

from .original import OriginalPipeline
from .streaming import StreamingPipeline

PIPELINES = {"original": OriginalPipeline, "streaming": StreamingPipeline}

__all__ = ["PIPELINES", "OriginalPipeline", "StreamingPipeline"]
