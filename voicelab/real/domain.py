"""A domain vocabulary for the recognizer, built from the phrases callers are expected to say.

Two forms: a small bigram language model (ARPA text; callers may recombine the words)
and a JSGF grammar (exactly one of the phrases). The language model comes with the
pronunciations of its words only, cut from the full dictionary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from ..engine.validation import ConfigError

DISCOUNT = 0.5  # absolute discounting of every seen bigram


def normalize(text: str) -> list[str]:
    """Lower-case words, punctuation dropped (apostrophes kept: "what's")."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("’", "'")).split()


def check_phrases(phrases: Sequence[str]) -> list[list[str]]:
    """The phrases as word lists; ConfigError when there are none or one has no words."""
    if isinstance(phrases, str) or not phrases:
        raise ConfigError("phrases must be a non-empty list of sentences the caller may say")
    words = [normalize(p) for p in phrases]
    if not all(words):
        raise ConfigError(f"phrases: every phrase needs at least one word; got {list(phrases)!r}")
    return words


def arpa_bigram(phrases: Sequence[str]) -> str:
    """A backed-off bigram model of ``phrases`` in ARPA format.

    Unigrams are add-one smoothed; seen bigrams keep their count minus DISCOUNT and the
    mass taken from them goes, through the backoff weight, to the unigrams.
    """
    sentences = [["<s>", *w, "</s>"] for w in check_phrases(phrases)]
    unigrams: Counter[str] = Counter(w for s in sentences for w in s[1:])
    bigrams: Counter[tuple[str, str]] = Counter(pair for s in sentences for pair in zip(s[:-1], s[1:], strict=True))
    history: Counter[str] = Counter(a for a, _ in bigrams.elements())
    total, vocab = sum(unigrams.values()), sorted(unigrams)
    p_uni = {w: (unigrams[w] + 1) / (total + len(vocab)) for w in vocab}

    def backoff(h: str) -> float:
        followers = [w for (a, w) in bigrams if a == h]
        left = DISCOUNT * len(followers) / history[h]
        return math.log10(left / (1.0 - sum(p_uni[w] for w in followers)))

    lines = ["\\data\\", f"ngram 1={len(vocab) + 1}", f"ngram 2={len(bigrams)}", "", "\\1-grams:",
             f"-99.0000 <s> {backoff('<s>'):.4f}"]
    for w in vocab:
        lines.append(f"{math.log10(p_uni[w]):.4f} {w}" + (f" {backoff(w):.4f}" if history[w] else ""))
    lines += ["", "\\2-grams:"]
    lines += [f"{math.log10((c - DISCOUNT) / history[a]):.4f} {a} {b}" for (a, b), c in sorted(bigrams.items())]
    return "\n".join([*lines, "", "\\end\\", ""])


def pronunciations(phrases: Sequence[str], dictionary: str) -> str:
    """The lines of a CMU-format pronunciation ``dictionary`` (its text) for the words of ``phrases``, alternate
    pronunciations (``word(2)``) included.

    A decoder given the domain language model and the full 135,000-word dictionary spends seconds matching the
    two at start-up; it only ever considers the model's words, so their entries alone decode the same.
    """
    words = {w for phrase in check_phrases(phrases) for w in phrase}
    return "".join(line for line in dictionary.splitlines(keepends=True)
                   if re.split(r"[\s(]", line, maxsplit=1)[0] in words)


def jsgf_grammar(phrases: Sequence[str], name: str = "phrases") -> str:
    """A JSGF grammar accepting exactly one of ``phrases``."""
    alternatives = " | ".join("( " + " ".join(w) + " )" for w in check_phrases(phrases))
    return f"#JSGF V1.0;\ngrammar {name};\npublic <utterance> = {alternatives};\n"
