"""What a dashboard simulates: a preset with some settings changed, its inputs and pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..budgets import budget_names
from ..engine.config import param_names
from ..engine.validation import ConfigError, short
from ..presets import get_preset
from ..simulate import RunResult, check_texts, simulate
from .controls import (
    BUDGET_PREFIX,
    JITTER,
    SEED,
    TURN,
    Control,
    budget_control,
    check_settings,
    jitter_control,
    seed_control,
    stage_control,
    turn_control,
)

_STAGE_KEYS = frozenset(param_names())

#: Slider span and step of each control: the range worth exploring, inside the accepted range.


@dataclass(frozen=True)
class Scenario:
    """What a dashboard simulates: a preset's budgets and timings (with some changed), inputs and pipeline."""

    preset: str = "seed"
    texts: tuple[str, ...] | None = None
    pipeline: str = "streaming"
    changes: tuple[tuple[str, float], ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return get_preset(self.preset).inputs if self.texts is None else check_texts(self.texts)

    def value(self, key: str) -> float:
        """The scenario's starting value of a control: a stage timing, a budget, ``jitter`` or ``seed``.

        The jitter starts at the largest jitter of the preset's stages (moving it sets every stage's).
        """
        changed = dict(self.changes)
        if key in changed:
            return changed[key]
        chosen = get_preset(self.preset)
        if key == JITTER:
            return max(getattr(chosen.stages, k.partition(".")[0]).jitter
                       for k in _STAGE_KEYS if k.endswith(".jitter"))
        if key == SEED:
            return 0
        if key.startswith(BUDGET_PREFIX):
            return getattr(chosen.budgets, key[len(BUDGET_PREFIX):])
        stage, _, param = key.partition(".")
        return getattr(getattr(chosen.stages, stage), param)

    def __post_init__(self) -> None:
        get_preset(self.preset)
        if self.texts is not None:
            check_texts(self.texts)
        if not isinstance(self.changes, tuple) or not all(
                isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], str) for c in self.changes):
            raise ConfigError(f"changes must be a tuple of (setting, value) pairs like (('llm.ttft_s', 0.5),); "
                              f"got {short(self.changes)}")
        self.settings(dict(self.changes))

    def known(self) -> list[str]:
        """The settings :meth:`run` takes: every stage timing, ``budget.NAME``, ``jitter`` and ``seed``."""
        return [*sorted(_STAGE_KEYS), *(BUDGET_PREFIX + name for name in budget_names()), JITTER, SEED]

    def settings(self, settings: Any) -> dict[str, Any]:
        """``settings`` if every name is one :meth:`run` takes (ConfigError naming the first that is not, or
        what ``settings`` was); the values are checked where they are used."""
        return check_settings(settings, self.known(), "STAGE.PARAM (stage timings), budget.NAME, jitter, seed"
                              + "".join(f", {k}" for k in self.known() if k.startswith("barge_in.")))

    def run(self, settings: Mapping[str, float]) -> RunResult:
        """Simulate with ``settings`` (stage keys, ``budget.*`` keys, ``jitter``, ``seed``) applied."""
        chosen = get_preset(self.preset)
        merged = {**dict(self.changes), **self.settings(settings)}
        budget_changes = {k[len(BUDGET_PREFIX):]: v for k, v in merged.items() if k.startswith(BUDGET_PREFIX)}
        stage_changes = {k: v for k, v in merged.items() if k in _STAGE_KEYS}
        stages = chosen.stages.with_params(stage_changes)
        if JITTER in merged:
            stages = stages.with_jitter(merged[JITTER])
        return simulate(self.inputs, pipeline=self.pipeline, preset=self.preset,
                        budgets=chosen.budgets.replace(**budget_changes), stages=stages,
                        seed=merged.get(SEED, 0))

    def controls(self, keys: Sequence[str]) -> list[Control]:
        """Controls for ``keys``, each starting at this scenario's value."""
        made: list[Control] = []
        for key in keys:
            if key.startswith(BUDGET_PREFIX):
                made.append(budget_control(key[len(BUDGET_PREFIX):], self.value(key)))
            elif key == JITTER:
                made.append(jitter_control(self.value(JITTER)))
            elif key == SEED:
                made.append(seed_control(int(self.value(SEED))))
            elif key == TURN:
                made.append(turn_control(len(self.inputs)))
            else:
                made.append(stage_control(key, self.value(key)))
        return made


def make_scenario(preset: str, texts: Sequence[str] | str | None, pipeline: str,
              changes: Mapping[str, float] | None = None) -> Scenario:
    """A validated scenario: unknown presets, blank texts and bad changes fail here, before any widget exists."""
    get_preset(preset)
    if changes is not None and not isinstance(changes, Mapping):
        raise ConfigError(f"changes must be a mapping of setting -> value like {{'llm.ttft_s': 0.5}}; "
                          f"got {short(changes)}")
    scenario = Scenario(preset, None if texts is None else check_texts(texts), pipeline,
                        tuple((changes or {}).items()))
    scenario.run({})
    return scenario
