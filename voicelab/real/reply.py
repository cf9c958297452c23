"""What a voice agent may say: a real model's reply made speakable and bounded before the synthesizer gets it.

A real LLM streams whatever it likes: a special token (``<|im_end|>``), control characters, markdown, letters of
a script the voice cannot read, a paragraph where a sentence was wanted, or (a broken or hostile server) an
endless reply. :class:`SpokenReply` wraps any :class:`~voicelab.stages.llm.LlmEngine` and passes on only speakable
text, as it streams (no added latency), and ends the reply at the first bound it reaches: sentences, tokens,
characters or estimated seconds of speech (:class:`ReplyOptions`). A reply it ends early gets a ``reply_cut``
mark in the trace saying which bound and its value, so every output can say that the reply was cut.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import asdict, dataclass
from typing import Any, cast

from ..engine.context import RunContext
from ..engine.validation import ConfigError, check_number
from ..engine.vocabulary import MarkName
from ..stages.llm import LlmEngine

# Tried on SmolLM2-135M-Instruct against a few others: the shortest, least apologetic replies to notebook 08's phrases.
SYSTEM_PROMPT = "You are a helpful assistant speaking on the phone. Keep every answer to one short sentence."
# The model ended its turn: what follows (a made-up next message) is never spoken.
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "</s>", "<end_of_turn>")
# Sequences asked of the server so it stops there itself (OpenAI accepts at most four).
STOP_SEQUENCES = ("<|im_end|>", "<|endoftext|>", "\n\n")
_SPECIAL = re.compile(r"<\|[^<>|\s]{1,40}\|>|</?(?:s|unk|pad|bos|eos|start_of_turn|end_of_turn)>")
_HOLD = 48  # characters held back after a "<" that may still become a special token
_MARKDOWN = set("*_`#~|")
_SENTENCE_END = ".!?"
_KEPT_SYMBOLS = set("°©®™€£¥$%&+=@")


@dataclass(frozen=True)
class ReplyOptions:
    """How a real model is asked to reply, and the bounds on what is spoken.

    ``temperature`` and ``max_tokens`` are sent with the request; the bounds are enforced on the stream whatever
    the server does. ``max_speech_s`` is estimated from the characters at ``chars_per_second`` (espeak-ng's
    default voice speaks about 14 characters a second at 175 words a minute; see notebook 08).
    """

    system_prompt: str = SYSTEM_PROMPT
    temperature: float = 0.2
    max_tokens: int = 60
    max_sentences: int = 2
    max_chars: int = 300
    max_speech_s: float = 15.0
    chars_per_second: float = 14.0
    latin_only: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.system_prompt, str) or not self.system_prompt.strip():
            raise ConfigError(f"reply.system_prompt must be a non-empty string; got {_short(self.system_prompt)}")
        if len(self.system_prompt) > 4000:
            raise ConfigError(f"reply.system_prompt must be at most 4000 characters; got {len(self.system_prompt)}")
        check_number("reply.temperature", self.temperature, 0.0, 2.0)
        check_number("reply.max_tokens", self.max_tokens, 1, 1000, integer=True, unit="tokens")
        check_number("reply.max_sentences", self.max_sentences, 1, 20, integer=True, unit="sentences")
        check_number("reply.max_chars", self.max_chars, 1, 20_000, integer=True, unit="characters")
        check_number("reply.max_speech_s", self.max_speech_s, 0.0, 600.0, unit="s", lo_open=True)
        check_number("reply.chars_per_second", self.chars_per_second, 1.0, 100.0, unit="chars/s")
        if not isinstance(self.latin_only, bool):
            raise ConfigError(f"reply.latin_only must be True or False; got {_short(self.latin_only)}")

    def replace(self, **changes: Any) -> ReplyOptions:
        """A copy with ``changes`` (validated; an unknown name is a ConfigError listing the known ones)."""
        known = asdict(self)
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ConfigError(f"unknown reply option {unknown[0]!r}; known: {', '.join(known)}")
        return ReplyOptions(**{**known, **changes})

    def with_text(self, assignments: dict[str, str]) -> ReplyOptions:
        """A copy with ``{"name": "text"}`` changes as typed on a command line (numbers and true/false parsed)."""
        changes: dict[str, Any] = {}
        for name, text in assignments.items():
            default = getattr(ReplyOptions, name, None)
            if name not in ReplyOptions.__dataclass_fields__:
                self.replace(**{name: text})  # raises: unknown name
            if isinstance(default, bool):
                if text.strip().lower() not in ("true", "false"):
                    raise ConfigError(f"reply.{name} must be true or false; got {_short(text)}")
                changes[name] = text.strip().lower() == "true"
            elif isinstance(default, str):
                changes[name] = text
            else:
                changes[name] = _number(f"reply.{name}", text, integer=isinstance(default, int))
        return self.replace(**changes)

    def request(self) -> dict[str, Any]:
        """What :class:`~voicelab.real.llm.OpenAIChatLLM` asks the server for: the system prompt, the temperature,
        one token more than ``max_tokens`` (so that a cut can be told from a reply of exactly that many) and the
        stop sequences."""
        return {"system_prompt": self.system_prompt, "temperature": self.temperature,
                "max_tokens": self.max_tokens + 1, "stop": STOP_SEQUENCES}

    @property
    def max_speech_chars(self) -> int:
        """The characters that ``max_speech_s`` allows at ``chars_per_second``."""
        return max(1, int(self.max_speech_s * self.chars_per_second))


def _number(name: str, text: str, integer: bool) -> float | int:
    try:
        return int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"{name} must be {kind}; got {_short(text)}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _speakable(char: str, latin_only: bool) -> str:
    """``char`` as the synthesizer gets it: kept, a space (line breaks, tabs), or dropped ("")."""
    if char in "\n\r\t\v\f\u2028\u2029":
        return " "
    if char in _MARKDOWN:
        return ""
    category = unicodedata.category(char)
    if category[0] == "C" or char == "\ufffd":  # controls, formatting (zero-width, bidi), unassigned, private use
        return ""
    if category == "So" and char not in _KEPT_SYMBOLS:  # emoji, dingbats, pictographs
        return ""
    if latin_only and category[0] == "L" and not unicodedata.name(char, "").startswith("LATIN"):
        return ""
    return char


class SpeakableText:
    """Cleans a streamed reply piece by piece: special tokens removed (the reply ends at an end-of-turn token),
    unspeakable characters dropped, whitespace runs made one space. Text that may still turn into a special
    token (from a ``<``) is held back until it is decided."""

    def __init__(self, latin_only: bool = True) -> None:
        self.latin_only = latin_only
        self.ended = False
        self._pending = ""
        self._space = True  # no space at the start of a reply

    def feed(self, piece: str) -> str:
        """The speakable text that ``piece`` completes ("" once an end-of-turn token was seen)."""
        if self.ended:
            return ""
        text = self._pending + piece
        self._pending = ""
        end = min((k for k in (text.find(t) for t in END_TOKENS) if k >= 0), default=-1)
        if end >= 0:
            text, self.ended = text[:end], True
        else:
            hold = text.rfind("<")
            if hold >= 0 and ">" not in text[hold:] and len(text) - hold <= _HOLD:
                text, self._pending = text[:hold], text[hold:]
        return self._clean(_SPECIAL.sub("", text))

    def flush(self) -> str:
        """What was held back, cleaned, at the end of the reply."""
        text, self._pending = self._pending, ""
        return "" if self.ended else self._clean(_SPECIAL.sub("", text))

    def _clean(self, text: str) -> str:
        out = []
        for char in text:
            kept = _speakable(char, self.latin_only)
            if not kept or (kept.isspace() and self._space):
                continue
            self._space = kept.isspace()
            out.append(" " if self._space else kept)
        return "".join(out)


class ReplyBounds:
    """Counts a reply against :class:`ReplyOptions`' bounds; :meth:`take` returns the part of a piece that fits."""

    def __init__(self, options: ReplyOptions) -> None:
        self.options = options
        self.cut: tuple[str, float] | None = None  # (bound, its value) that ended the reply
        self.done = False  # the reply is complete: a bound or max_sentences was reached
        self.tokens = self.chars = self.sentences = 0
        self._after_end = False  # the last character was a sentence end (a space after it closes the sentence)
        self._max_chars = min(options.max_chars, options.max_speech_chars)

    def token(self) -> bool:
        """Count one more token from the model; False once it is past ``max_tokens`` (a cut, unless the reply was
        already complete)."""
        self.tokens += 1
        if self.tokens <= self.options.max_tokens:
            return True
        if not self.done:
            self._end(("max_tokens", self.options.max_tokens))
        return False

    def take(self, text: str) -> str:
        """The part of ``text`` to speak; past it the reply is :attr:`done` (and :attr:`cut` says why, if cut)."""
        if self.done:  # max_sentences reached: anything more the model says makes it a cut
            if text.strip():
                self._end(("max_sentences", self.options.max_sentences))
            return ""
        for k, char in enumerate(text):
            if self._after_end and char.isspace():
                self.sentences += 1
                if self.sentences >= self.options.max_sentences:
                    self.done = True
                    if text[k:].strip():
                        self._end(("max_sentences", self.options.max_sentences))
                    return self._count(text[:k])
            self._after_end = char in _SENTENCE_END
            if self.chars + k >= self._max_chars:
                self._end(self._char_bound())
                kept = text[:k]
                if not char.isspace():  # end on a whole word where this piece allows it
                    space = kept.rfind(" ")
                    kept = kept[:space] if space >= 0 else "" if self.chars else kept
                return self._count(kept.rstrip())
        return self._count(text)

    def _end(self, cut: tuple[str, float]) -> None:
        self.done = True
        if self.cut is None:
            self.cut = cut

    def _count(self, text: str) -> str:
        self.chars += len(text)
        return text

    def _char_bound(self) -> tuple[str, float]:
        o = self.options
        return ("max_chars", o.max_chars) if o.max_chars <= o.max_speech_chars else ("max_speech_s", o.max_speech_s)


class SpokenReply(LlmEngine):
    """``engine``'s replies made speakable and bounded (see the module docstring); ``options`` as for the request.

    Ends the reply at ``max_sentences`` full sentences (a cut when the model had more to say), or at the first of
    ``max_tokens`` (the server is asked for one token more, so that a cut can be told from a reply of exactly
    ``max_tokens``), ``max_chars`` or ``max_speech_s``.
    """

    def __init__(self, engine: LlmEngine, options: ReplyOptions | None = None) -> None:
        if not isinstance(engine, LlmEngine):
            raise ConfigError(f"SpokenReply wraps an LLM engine; got {_short(engine)}")
        if options is not None and not isinstance(options, ReplyOptions):
            raise ConfigError(f"options must be a ReplyOptions; got {_short(options)}")
        self.engine = engine
        self.options = options or ReplyOptions()

    def __repr__(self) -> str:
        return f"SpokenReply({self.engine!r})"

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        """Yield ``engine``'s speakable pieces until the reply ends or reaches a bound."""
        text, bounds = SpeakableText(self.options.latin_only), ReplyBounds(self.options)
        async with aclosing(cast(AsyncGenerator[str, None], self.engine.stream(prompt, ctx))) as pieces:
            async for piece in pieces:
                if not bounds.token():
                    break
                if spoken := bounds.take(text.feed(piece)):
                    yield spoken
                if text.ended or bounds.cut is not None:
                    break
            else:
                if rest := bounds.take(text.flush()):
                    yield rest
        if bounds.cut is not None:
            name, value = bounds.cut
            ctx.trace.mark("llm", MarkName.REPLY_CUT, bound=name, limit=value, chars=bounds.chars,
                           tokens=bounds.tokens)


def reply_cut(trace: Any, turn: int) -> dict[str, Any] | None:
    """``{"bound": name, "limit": value}`` when ``turn``'s reply was cut by a bound, else None."""
    mark = next((m for m in trace.marks if m.turn == turn and m.name == MarkName.REPLY_CUT), None)
    return None if mark is None else {"bound": mark.attrs["bound"], "limit": mark.attrs["limit"]}
