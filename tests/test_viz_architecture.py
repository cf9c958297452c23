"""The architecture figure is read from the running pipeline: its tasks and queues are the code's own."""

from __future__ import annotations

import inspect

from voicelab.pipelines.streaming import Conversation
from voicelab.viz.architecture import architecture_chart, pipeline_graph


def test_the_graph_is_one_chain_of_the_pipelines_own_queues() -> None:
    queues = pipeline_graph()
    source = inspect.getsource(Conversation)
    assert len(queues) >= 5
    for q in queues:
        if q.direct:  # the caller runs the VAD in its own task: no queue, a call
            assert q.writers == ("Conversation._converse",) and q.readers == ("vad",), q
            continue
        assert f"{q.name}: Channel = Channel(" in source or f"{q.name} = Channel(" in source, q.name
        assert len(q.writers) == 1 and len(q.readers) == 1, q
    for before, after in zip(queues, queues[1:], strict=False):
        assert before.readers == after.writers
    assert [q.readers[0] for q in queues][-1] == "run_playback"


def test_the_chart_draws_a_box_per_task() -> None:
    fig = architecture_chart()
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "vad" in labels and "run_playback" in labels and "put()\n(no queue)" in labels  # the caller runs the VAD
    assert any(t.startswith("speech") for t in labels)


def test_the_callers_task_is_labelled_by_its_role_not_its_internal_name() -> None:
    labels = [t.get_text() for t in architecture_chart().axes[0].texts]
    assert "caller" in labels and not any("_converse" in label for label in labels)
    assert pipeline_graph()[0].writers == ("Conversation._converse",)  # the graph keeps the code's own name
