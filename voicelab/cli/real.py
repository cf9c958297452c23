"""``demo --real``: the real pipeline's options (recognizer, vocabulary, LLM), the local LLM server kept running
for the run only, and a reply as the terminal shows it.

``--llm scripted`` is the tutorial's replies, ``endpoint`` the OpenAI-compatible server the VOICELAB_LLM_*
variables name, ``local`` SmolLM2 on llama.cpp's server, which voicelab starts on 127.0.0.1 and stops however
the run ends (:class:`voicelab.real.LocalLLM`). Without ``--llm``: the endpoint when VOICELAB_LLM_BASE_URL is
set, else scripted (as before the flag).
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from typing import Any

from ..engine.untrusted import escape_controls
from .options import UsageError

LLM_CHOICES = ("scripted", "endpoint", "local")
ENV_BASE_URL = "VOICELAB_LLM_BASE_URL"  # voicelab.real.llm's, named here so a bad flag is refused before any import
SCRIPTED_INFO = {"engine": "scripted", "model": "the tutorial's replies (voicelab.stages.llm.SCRIPTED_REPLIES)"}
ENDPOINT_ENGINE = "OpenAI-compatible endpoint (VOICELAB_LLM_BASE_URL)"
LINE_BREAK = " ⏎ "


def add_real_arguments(parser: argparse.ArgumentParser) -> None:
    """``--real`` and the options that choose its engines."""
    parser.add_argument("--real", action="store_true",
                        help="real engines on the real-time clock: espeak-ng caller and voice, a recognizer, "
                             "the LLM --llm names")
    parser.add_argument("--asr", choices=["pocketsphinx", "whisper"],
                        help="recognizer for --real (default pocketsphinx)")
    parser.add_argument("--vocabulary", choices=["generic", "lm", "grammar"],
                        help="pocketsphinx vocabulary for --real: generic en-US model, a small language model "
                             "of the caller's texts (default) or a grammar of exactly those texts")
    parser.add_argument("--llm", choices=list(LLM_CHOICES),
                        help="LLM for --real: scripted (the tutorial's replies), endpoint (the OpenAI-compatible "
                             f"server {ENV_BASE_URL} names; VOICELAB_LLM_MODEL, VOICELAB_LLM_API_KEY) or local "
                             "(SmolLM2 on llama.cpp's server, started and stopped by voicelab); default: endpoint "
                             f"when {ENV_BASE_URL} is set, else scripted")
    parser.add_argument("--reply", metavar="NAME=VALUE", action="append", default=[],
                        help="how a real model's reply is asked for and bounded (repeatable): max_tokens, "
                             "max_sentences, max_chars, max_speech_s, chars_per_second, temperature, system_prompt, "
                             "latin_only; e.g. --reply max_speech_s=5 (default 60 tokens, 2 sentences, 300 "
                             "characters, 15 s of speech)")


def check_real_arguments(args: argparse.Namespace) -> None:
    """The combinations ``--real`` refuses (UsageError), before anything loads."""
    if not args.real and (args.asr or args.vocabulary or args.llm):
        raise UsageError("--asr, --vocabulary and --llm choose the real engines: add --real")
    if args.reply and not args.real:
        raise UsageError("--reply bounds a real model's reply: add --real")
    if args.reply and args.llm == "scripted":
        raise UsageError("--reply bounds a real model's reply; --llm scripted has none: drop one")
    if args.real and args.clock == "virtual":
        raise UsageError("--real runs real engines on the real-time clock: drop --clock virtual")
    if args.asr == "whisper" and args.vocabulary:
        raise UsageError("--vocabulary sets pocketsphinx's vocabulary: drop it with --asr whisper")
    if args.real and args.pipeline != "streaming":
        raise UsageError("--real runs the streaming pipeline; drop --pipeline original")
    if args.llm == "endpoint" and not os.environ.get(ENV_BASE_URL, "").strip():
        raise UsageError(f"--llm endpoint needs {ENV_BASE_URL} (e.g. http://127.0.0.1:11434/v1; VOICELAB_LLM_MODEL "
                         "and VOICELAB_LLM_API_KEY if the server wants them)")


def real_pipeline(args: argparse.Namespace, texts: tuple[str, ...], resources: ExitStack) -> tuple[Any, dict[str, str]]:
    """The real streaming pipeline for ``--real`` and ``{"engine", "model"}`` of its LLM. A local server is
    started here and stopped when ``resources`` closes (the run's end, an error, Ctrl-C)."""
    try:  # a missing extra (espeak-ng, pocketsphinx, faster-whisper, the local LLM) is one line with its command
        from ..real import local_llm, make_llm
        from ..real import real_pipeline as build
        from ..real.llm import configured

        choice = args.llm or ("endpoint" if configured() else "scripted")
        if args.reply and choice == "scripted":
            raise UsageError(f"--reply bounds a real model's reply; without --llm or {ENV_BASE_URL} the replies are "
                             "scripted: add --llm local or set the endpoint")
        options = reply_options(args.reply)
        info = SCRIPTED_INFO
        if choice == "local":
            if (reason := local_llm.missing()) is not None:
                raise ImportError(reason)
            server = local_llm.LocalLLM()
            resources.callback(server.stop)
            print(f"starting the local LLM ({local_llm.MODEL_NAME}) ...", file=sys.stderr, flush=True)
            server.start()
            print(f"local LLM: {local_llm.MODEL_NAME} on {server.base_url}, pid {server.pid}, "
                  f"ready in {server.startup_s or 0:.1f} s", file=sys.stderr, flush=True)
            llm, info = make_llm("local", options, server=server), server.info()
        else:
            llm = make_llm("endpoint" if choice == "endpoint" else "scripted", options)
            if choice == "endpoint":
                info = {"engine": ENDPOINT_ENGINE, "model": getattr(getattr(llm, "engine", llm), "model", "default")}
        pipeline = build(texts, asr=args.asr or "pocketsphinx", vocabulary=args.vocabulary or "lm", llm=llm)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    return pipeline, dict(info)


def reply_options(items: list[str]) -> Any:
    """``--reply NAME=VALUE`` items as a validated :class:`~voicelab.real.reply.ReplyOptions` (ConfigError naming
    the option; UsageError for a malformed or repeated item)."""
    from ..real.reply import ReplyOptions

    changes: dict[str, str] = {}
    for item in items:
        name, eq, text = (part.strip() for part in item.partition("="))
        if not eq or not name:
            raise UsageError(f"--reply expects NAME=VALUE; got {escape_controls(repr(item))}")
        if name in changes:
            raise UsageError(f"--reply {escape_controls(name)} is given twice; give it once")
        changes[name] = text
    return ReplyOptions().with_text(changes)


def readable(text: str) -> str:
    """A reply for one terminal line: line breaks shown as ⏎, tabs as spaces, other control characters escaped."""
    for brk in ("\r\n", "\n", "\r", "\u2028", "\u2029"):
        text = text.replace(brk, LINE_BREAK)
    return escape_controls(text.replace("\t", " "))
