"""Transport: the legs between the caller's mouth and the server, and back, that no server-side metric sees."""

from . import legs

__all__ = ["legs"]
