"""A real model's reply made speakable and bounded (voicelab.real.reply), through the real streaming pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import voicelab
from voicelab.engine.context import RunContext
from voicelab.engine.validation import ConfigError
from voicelab.pipelines.streaming import StreamingPipeline
from voicelab.real.reply import ReplyOptions, SpeakableText, SpokenReply, reply_cut
from voicelab.stages.llm import LlmEngine


class Pieces(LlmEngine):
    """Streams the given pieces (then, with ``endless``, "word " for ever); counts what was asked of it."""

    def __init__(self, pieces: list[str], endless: bool = False) -> None:
        self.pieces, self.endless, self.sent = pieces, endless, 0

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        for piece in self.pieces:
            self.sent += 1
            yield piece
            await ctx.clock.sleep(0.005)
        while self.endless:
            self.sent += 1
            yield "word "
            await ctx.clock.sleep(0.005)


def run(pieces: list[str], endless: bool = False, **options: object) -> tuple[str, dict | None, Pieces]:
    engine = Pieces(pieces, endless)
    llm = SpokenReply(engine, ReplyOptions(**options))  # type: ignore[arg-type]
    result = voicelab.simulate(["What's the weather like?"], preset="seed", pipeline=StreamingPipeline(llm=llm))
    return result.trace.turns[0].response, reply_cut(result.trace, 0), engine


def clean(*pieces: str, latin_only: bool = True) -> str:
    text = SpeakableText(latin_only)
    return "".join(text.feed(p) for p in pieces) + text.flush()


def test_special_tokens_split_across_pieces_are_removed_and_end_the_reply() -> None:
    assert clean("Sure", "! <|im", "_start|>It is", " sunny.<|im_", "end|>", "<|im_start|>user hi") == \
        "Sure! It is sunny."
    assert clean("Hi</s> ignored") == "Hi"
    assert clean("a < b and c > d.") == "a < b and c > d."  # a "<" that never becomes a token is kept


def test_controls_markdown_and_other_scripts_are_not_spoken() -> None:
    assert clean("**Sunny**\n\nand\twarm \x1b[2J\u200b😀 today.") == "Sunny and warm [2J today."
    assert clean("It is 72°F, 你好 café.") == "It is 72°F, café."
    assert clean("你好 café", latin_only=False) == "你好 café"


def test_a_reply_stops_after_two_sentences_and_says_it_was_cut() -> None:
    reply, cut, engine = run(["It is sunny. ", "Take a hat! ", "And sunscreen. ", "Bye."])
    assert reply == "It is sunny. Take a hat!"
    assert cut == {"bound": "max_sentences", "limit": 2}
    assert engine.sent == 3  # the third piece told it there was more; nothing after it was read


def test_a_reply_that_ends_at_its_second_sentence_is_not_cut() -> None:
    reply, cut, _ = run(["It is sunny. ", "Take a hat!"])
    assert (reply, cut) == ("It is sunny. Take a hat!", None)


@pytest.mark.parametrize(("options", "bound", "limit", "longest"), [
    ({"max_tokens": 12}, "max_tokens", 12, 12 * 5),
    ({"max_chars": 40}, "max_chars", 40, 40),
    ({"max_speech_s": 2.0, "chars_per_second": 14.0}, "max_speech_s", 2.0, 28),
])
def test_an_endless_reply_is_cut_at_each_bound(options: dict, bound: str, limit: float, longest: int) -> None:
    reply, cut, engine = run([], endless=True, **options)
    assert cut == {"bound": bound, "limit": limit}
    assert 0 < len(reply) <= longest and not reply.endswith("wor")  # ends on a whole word
    assert engine.sent <= (options.get("max_tokens", 0) or longest) + 1


def test_a_reply_of_exactly_max_tokens_is_not_cut() -> None:
    reply, cut, _ = run(["One ", "two ", "three."], max_tokens=3)
    assert (reply, cut) == ("One two three.", None)
    reply, cut, _ = run(["One ", "two ", "three ", "four."], max_tokens=3)
    assert (reply, cut) == ("One two three", {"bound": "max_tokens", "limit": 3})


def test_one_giant_word_is_cut_at_max_chars() -> None:
    reply, cut, _ = run(["z" * 100_000], max_chars=50)
    assert (len(reply), cut) == (50, {"bound": "max_chars", "limit": 50})


@pytest.mark.parametrize(("field", "value", "message"), [
    ("temperature", -0.1, r"reply.temperature must be a number in \[0, 2\]; got -0.1"),
    ("temperature", True, "reply.temperature must be a number in"),
    ("max_tokens", 0, r"reply.max_tokens must be an integer in \[1, 1000\] tokens; got 0"),
    ("max_tokens", 2.5, "reply.max_tokens must be an integer"),
    ("max_sentences", 0, "reply.max_sentences"),
    ("max_chars", 10**9, "reply.max_chars"),
    ("max_speech_s", 0, r"reply.max_speech_s must be a number in \(0, 600\] s; got 0"),
    ("max_speech_s", float("nan"), "reply.max_speech_s"),
    ("system_prompt", "  ", "reply.system_prompt must be a non-empty string"),
    ("system_prompt", None, "reply.system_prompt must be a non-empty string; got None"),
    ("latin_only", "yes", "reply.latin_only must be True or False; got 'yes'"),
])
def test_bad_options_name_the_field_and_the_range(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ReplyOptions(**{field: value})  # type: ignore[arg-type]


def test_options_from_command_line_text() -> None:
    options = ReplyOptions().with_text({"max_tokens": "20", "temperature": "0.5", "latin_only": "false"})
    assert (options.max_tokens, options.temperature, options.latin_only) == (20, 0.5, False)
    with pytest.raises(ConfigError, match="unknown reply option 'max_token'; known: system_prompt, temperature"):
        ReplyOptions().with_text({"max_token": "20"})
    with pytest.raises(ConfigError, match="reply.max_tokens must be an integer; got 'many'"):
        ReplyOptions().with_text({"max_tokens": "many"})
    with pytest.raises(ConfigError, match="reply.latin_only must be true or false; got 'maybe'"):
        ReplyOptions().with_text({"latin_only": "maybe"})


def test_spoken_reply_checks_what_it_wraps() -> None:
    with pytest.raises(ConfigError, match="SpokenReply wraps an LLM engine; got 'gpt'"):
        SpokenReply("gpt")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="options must be a ReplyOptions; got"):
        SpokenReply(Pieces([]), {"max_tokens": 3})  # type: ignore[arg-type]
