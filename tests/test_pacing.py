"""The pacer in real time: it catches up after a stall of the event loop, never beyond its
rate within any second, and bursts neither after idle time nor below CATCH_UP_FROM."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time

from bot.delivery.pacing import CATCH_UP_FROM, WINDOW, Pacer


async def _take(
    pacer: Pacer, count: int, *, stall_after: int | None = None, pause_after: int | None = None
) -> list[float]:
    """`count` slots taken by 20 concurrent senders; the loop is blocked 0.3 s (a busy
    machine, a slow write) once `stall_after` slots were taken, or the pacer paused 0.4 s
    (a 429) once `pause_after` were."""
    times: list[float] = []

    async def sender() -> None:
        while len(times) < count:
            await pacer.slot()
            times.append(time.monotonic())
            if stall_after is not None and len(times) == stall_after:
                time.sleep(0.3)  # noqa: ASYNC251 - blocks the event loop, as a stall does
            if pause_after is not None and len(times) == pause_after:
                pacer.pause(0.4)

    await asyncio.gather(*(sender() for _ in range(20)))
    return sorted(times)[:count]


def _most_in_a_window(times: list[float]) -> int:
    return max(bisect.bisect_left(times, t + WINDOW) - i for i, t in enumerate(times))


async def test_a_stall_is_caught_up_within_the_rate_per_second():
    rate = 400.0
    times = await _take(Pacer(rate), 800, stall_after=100)
    assert _most_in_a_window(times) <= rate
    span = times[-1] - times[0]
    # 800 slots at 400/s take 2 s; without catching up the stall would add its 0.3 s
    assert span < 2.15, span


async def test_no_burst_after_idle_time():
    rate = 400.0
    pacer = Pacer(rate)
    await _take(pacer, 10)
    await asyncio.sleep(0.6)  # nobody asked for a slot meanwhile: nothing to catch up
    times = await _take(pacer, 100)
    assert times[-1] - times[0] >= 0.9 * 99 / rate


async def test_below_catch_up_from_a_stall_is_not_caught_up():
    rate = CATCH_UP_FROM / 2
    times = await _take(Pacer(rate), 40, stall_after=10)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.9 / rate  # evenly spaced, even right after the stall


async def test_no_catching_up_on_a_pause_after_a_429():
    rate = 400.0
    pacer = Pacer(rate)
    # a 429 on the 10th slot: every sender waits retry_after, then the pace is even again
    times = await _take(pacer, 110, pause_after=10)
    after = times[10:]
    assert after[0] - times[9] >= 0.39
    assert after[-1] - after[0] >= 0.9 * 99 / rate
