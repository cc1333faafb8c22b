"""The pace a request body must keep (api/body_pace.py), read by the clock of the waits: what a client may do and
what refuses it. The middleware's answers over a real socket are in tests/test_hardening_leftovers.py."""

from __future__ import annotations

from api.body_pace import BodyPace


def _pace() -> BodyPace:
    return BodyPace(stall_s=60, min_bytes_per_s=500, max_s=1800)


def test_nothing_arriving_is_a_stall():
    pace = _pace()
    assert pace.next_wait(0.0) == (60, "stalled")


def test_a_trickle_runs_out_of_time_earned_by_what_arrived():
    pace = _pace()
    now = 0.0
    for _ in range(100):  # a byte every 10 s: 10 s waited for each 1/500 s earned
        wait_s, why = pace.next_wait(now)
        if wait_s < 10:
            break
        pace.arrived(size_bytes=1, waited_s=10)
        now += 10
    assert why == "slow" and 60 <= now <= 70, (now, why)


def test_a_burst_then_a_trickle_or_the_minimum_rate_ends_at_the_longest_time():
    burst = _pace()
    burst.next_wait(0.0)
    burst.arrived(size_bytes=50_000_000, waited_s=1.0)  # 100,000 s earned at once
    assert burst.next_wait(1.0) == (60, "stalled")
    assert burst.next_wait(1_790.0) == (10.0, "long")
    assert burst.next_wait(1_800.0) == (0.0, "long")
    steady = _pace()
    steady.next_wait(0.0)
    for second in range(1, 1_800):
        steady.arrived(size_bytes=500, waited_s=1.0)
        assert steady.next_wait(float(second))[1] != "slow"
    assert steady.next_wait(1_799.5) == (0.5, "long")


def test_time_the_server_spends_between_reads_is_not_the_clients():
    """Review: the deadline ran from the first read, so a server that read late (its threads busy) answered a
    healthy upload 408 "too slow"."""
    pace = BodyPace(stall_s=2, min_bytes_per_s=500, max_s=1800)
    pace.next_wait(0.0)
    for read in range(1, 10):  # each chunk already buffered (waited 0), read 1.5 s after the one before
        pace.arrived(size_bytes=100, waited_s=0.0)
        wait_s, why = pace.next_wait(1.5 * read)
        assert wait_s >= 2 and why == "stalled", (read, wait_s, why)
