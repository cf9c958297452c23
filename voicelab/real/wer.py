"""Word error rate: (substitutions + deletions + insertions) / reference words."""

from __future__ import annotations

from collections.abc import Sequence

from .domain import normalize


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """Edit distance in words between the normalized texts, and the reference's word count."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Corpus WER: total word errors over total reference words."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    counts = [word_errors(r, h) for r, h in zip(references, hypotheses, strict=True)]
    words = sum(n for _, n in counts)
    return sum(e for e, _ in counts) / words if words else 0.0
