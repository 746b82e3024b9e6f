"""Periodic jobs stop between rounds: a round in progress (a database query, say) ends
before the job stops; only a round that will not end is killed."""
import time

import gevent

from callcenter.live.rounds import Rounds, stop_all


def test_a_round_in_progress_ends_before_the_job_stops():
    seen = []

    def slow_round():
        seen.append("began")
        gevent.sleep(0.2)  # as a query in flight
        seen.append("ended")

    rounds = Rounds("test", slow_round, 60)
    rounds.start()
    gevent.sleep(0.05)
    rounds.stop(timeout=5)
    assert seen == ["began", "ended"]
    assert not rounds.running


def test_a_round_that_will_not_end_is_killed_after_the_wait():
    seen = []

    def stuck_round():
        seen.append("began")
        try:
            gevent.sleep(60)
        except gevent.GreenletExit:
            seen.append("killed")
            raise

    rounds = Rounds("test", stuck_round, 60)
    rounds.start()
    gevent.sleep(0.05)
    rounds.stop(timeout=0.1)
    assert seen == ["began", "killed"]


def test_a_failing_round_does_not_stop_the_next_one_and_the_interval_is_read_each_round():
    calls, interval = [], [0.01]

    def round_():
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the database is away")

    rounds = Rounds("test", round_, lambda: interval[0])
    rounds.start()
    gevent.sleep(0.2)
    assert len(calls) >= 3
    interval[0] = 60  # a longer interval from now on
    gevent.sleep(0.05)
    settled = len(calls)
    gevent.sleep(0.1)
    assert len(calls) == settled
    rounds.stop(timeout=1)


def test_wait_first_runs_the_first_round_after_one_interval_and_stop_before_it_runs_nothing():
    calls = []
    rounds = Rounds("test", lambda: calls.append(1), 0.3, wait_first=True)
    rounds.start()
    gevent.sleep(0.1)
    rounds.stop(timeout=1)
    assert calls == []


def test_several_jobs_stop_within_one_wait_not_one_wait_each():
    jobs = [Rounds(f"stuck {n}", lambda: gevent.sleep(60), 60) for n in range(3)]
    for job in jobs:
        job.start()
    gevent.sleep(0.05)
    started = time.monotonic()
    stop_all(jobs, timeout=0.3)
    assert time.monotonic() - started < 0.8  # three waits in a row would be 0.9 s
    assert not any(job.running for job in jobs)
