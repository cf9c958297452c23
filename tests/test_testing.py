"""The stage test harness itself: frames arrive when scripted, outputs are timed, errors surface."""

import pytest

from voicelab.engine.frames import EndOfResponse, Token
from voicelab.testing import run_stage


async def _echo(inbox, outbox, ctx):
    while True:
        frame = await inbox.get()
        await ctx.clock.sleep(0.25)
        await outbox.put(frame)


def test_frames_arrive_at_their_times_and_outputs_are_timed():
    out = run_stage(_echo, [Token("a", 0), (1.0, Token("b", 0)), (1.1, EndOfResponse(0))])
    assert [f.text if isinstance(f, Token) else "end" for f in out.frames] == ["a", "b", "end"]
    # b waits for its arrival at 1.0; the end arrived at 1.1 but the stage was busy with b until 1.25
    assert out.times == [0.25, 1.25, 1.5]
    assert out.ended_at == 1.5


def test_a_stage_error_reaches_the_test():
    async def broken(inbox, outbox, ctx):
        await inbox.get()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_stage(broken, [Token("a", 0)])


def test_arrivals_out_of_order_are_refused():
    with pytest.raises(ValueError, match="time order"):
        run_stage(_echo, [(1.0, Token("a", 0)), (0.5, Token("b", 0))])
