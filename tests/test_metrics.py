"""Per-turn metrics and budget values, derived from a trace."""

import voicelab as vl
from voicelab.metrics import budget_report, budget_values, turn_metrics
from voicelab.pipelines import StreamingPipeline
from voicelab.presets import get_preset
from voicelab.turntaking.interruptions import BargeIn


def test_budget_values_are_the_values_budget_report_judges_with_or_without_the_metrics_at_hand():
    stages = get_preset("production").stages.with_jitter(1.5)
    for seed in range(5):
        run = vl.simulate(["Hello, how are you today?", "What's the weather like?"],
                          pipeline=StreamingPipeline(barge_in=BargeIn(0.5)), stages=stages, seed=seed)
        for turn in range(len(run.trace.turns)):
            report = budget_report(run.trace, turn, run.budgets)
            values = budget_values(run.trace, turn)
            assert values == {name: verdict.value for name, verdict in report.items()}
            assert budget_values(run.trace, turn, turn_metrics(run.trace, turn)) == values
            assert values["asr_processing"] is not None and values["tts_chunk_generation"] is not None
