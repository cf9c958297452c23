"""Channel, the queue between streaming stages: FIFO, bounded, cancellation-safe, on virtual time."""

from __future__ import annotations

import asyncio

import pytest

from voicelab.engine.channel import Channel
from voicelab.engine.clock import Clock, run


def test_items_come_out_in_order_and_a_full_channel_makes_put_wait():
    async def main(clock: Clock) -> tuple[list[int], list[float]]:
        channel = Channel(2)
        put_times: list[float] = []

        async def producer() -> None:
            for i in range(5):
                await channel.put(i)
                put_times.append(clock.now())

        task = asyncio.create_task(producer())
        got = []
        for _ in range(5):
            await clock.sleep(1.0)
            got.append(await channel.get())
        await task
        return got, put_times

    got, put_times = run(main)
    assert got == [0, 1, 2, 3, 4]
    assert put_times == [0.0, 0.0, 1.0, 2.0, 3.0]  # the third put waits for the first get


def test_get_waits_for_an_item():
    async def main(clock: Clock) -> tuple[str, float]:
        channel = Channel()

        async def later() -> None:
            await clock.sleep(2.5)
            channel.put_nowait("hello")

        asyncio.create_task(later())
        item = await channel.get()
        return item, clock.now()

    assert run(main) == ("hello", 2.5)


def test_nowait_variants_raise_like_asyncio_queue():
    async def main(clock: Clock) -> None:
        channel = Channel(1)
        with pytest.raises(asyncio.QueueEmpty):
            channel.get_nowait()
        channel.put_nowait(1)
        assert channel.full() and channel.qsize() == 1
        with pytest.raises(asyncio.QueueFull):
            channel.put_nowait(2)
        assert channel.get_nowait() == 1 and channel.empty()

    run(main)


def test_a_cancelled_getter_passes_its_item_to_the_next_one():
    async def main(clock: Clock) -> tuple[str, int]:
        channel = Channel()
        first = asyncio.create_task(channel.get())
        second = asyncio.create_task(channel.get())
        await clock.sleep(0.1)
        channel.put_nowait("item")  # wakes the first getter ...
        first.cancel()  # ... which is cancelled before it runs
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second, len(channel._getters)

    assert run(main) == ("item", 0)


def test_clear_drops_items_and_releases_waiting_putters():
    async def main(clock: Clock) -> tuple[list[int], list[int]]:
        channel = Channel(2)
        channel.put_nowait(1)
        channel.put_nowait(2)
        blocked = asyncio.create_task(channel.put(3))
        await clock.sleep(0.1)
        dropped = channel.clear()
        await blocked
        return dropped, [channel.get_nowait() for _ in range(channel.qsize())]

    assert run(main) == ([1, 2], [3])


@pytest.mark.parametrize("clock", ["virtual", "realtime"])
def test_a_channel_serves_one_run_after_another(clock):
    """A channel keeps the loop it waits on (asking for it costs a system call) until that loop is closed."""
    channel = Channel(1)

    async def main(run_clock: Clock) -> list[str]:
        async def later() -> None:
            await run_clock.sleep(0.01)
            await channel.put("a")
            await channel.put("b")  # waits: the channel holds one item

        task = asyncio.create_task(later())
        got = [await channel.get(), await channel.get()]
        await task
        return got

    assert run(main, clock) == ["a", "b"]
    assert run(main, clock) == ["a", "b"]
