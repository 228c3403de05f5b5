"""Jobs run by forked workers that share the caller's data (hazid.forked)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from hazid import forked
from hazid.errors import WorkerError
from hazid.forked import aside, can_fork, forked_map

pytestmark = pytest.mark.skipif(not can_fork(), reason="fork is not available")


def _apply(shared, job):
    return shared["f"](job)


def _fail(shared, job):
    if job == 3:
        raise ValueError(f"job {job} failed in a worker")
    return job


def test_results_keep_the_order_of_the_jobs_and_the_shared_data_is_not_pickled():
    lock = threading.Lock()  # cannot be pickled: the workers inherit it
    shared = {"f": lambda x: x * x, "lock": lock}
    assert forked_map(_apply, range(10), shared, workers=2, chunksize=3) == [
        x * x for x in range(10)
    ]


def test_an_error_in_a_worker_is_raised_in_the_caller():
    with pytest.raises(ValueError, match="job 3 failed in a worker"):
        forked_map(_fail, range(6), None, workers=2)


def test_aside_returns_the_result_computed_in_another_process():
    lock = threading.Lock()  # inherited, not pickled
    wait = aside(lambda: (os.getpid(), lock.locked(), list(range(3))))
    pid, locked, values = wait()
    assert pid != os.getpid()
    assert (locked, values) == (False, [0, 1, 2])


def test_aside_raises_the_error_of_its_function_in_the_caller():
    def fail():
        raise ValueError("no distance for site S1")

    wait = aside(fail)
    with pytest.raises(ValueError, match="no distance for site S1"):
        wait()


def test_aside_says_when_the_result_cannot_be_passed_back_or_the_process_stops():
    with pytest.raises(WorkerError, match=r"TypeError: cannot pickle '_thread\.lock'"):
        aside(threading.Lock)()
    with pytest.raises(WorkerError, match=r"forked process stopped \(5\)"):
        aside(lambda: os._exit(5))()


def test_aside_runs_at_once_where_it_cannot_fork(monkeypatch):
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    pid = os.getpid()
    assert aside(os.getpid)() == pid


def test_ready_says_whether_the_result_is_in_without_waiting():
    go_read, go_write = os.pipe()
    wait = aside(lambda: os.read(go_read, 1) + b"!")  # waits for this process's word
    assert not wait.ready()
    os.write(go_write, b"x")
    while not wait.ready():
        time.sleep(0.01)
    assert wait() == b"x!"
    os.close(go_read)
    os.close(go_write)
    failing = aside(lambda: 1 / 0)
    while not failing.ready():
        time.sleep(0.01)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        failing()


def test_a_handover_passes_an_object_to_a_process_already_forked():
    hand = forked.Handover()
    big = bytes(range(256)) * 40_000  # far more than a pipe holds: sending does not wait
    pending = aside(lambda: (os.getpid(), hand.receive()))
    hand.send({"data": big})
    hand.send("a second object is not sent")
    pid, got = pending()
    assert pid != os.getpid() and got == {"data": big}
    hand.close()


def test_a_handover_passes_an_object_back_while_the_forked_process_goes_on():
    hand = forked.Handover()

    def work():
        hand.send(["first"])
        time.sleep(0.5)
        return "then the rest"

    pending = aside(work)
    assert hand.receive() == ["first"]
    assert not pending.ready()  # still at work
    assert pending() == "then the rest"
    hand.close()


def test_a_handover_receives_none_when_nothing_is_or_will_be_sent():
    sent_none = forked.Handover()
    pending = aside(lambda: sent_none.receive())
    sent_none.send(None)
    assert pending() is None
    gone = forked.Handover()  # the sender ends without sending
    waiting = aside(lambda: os._exit(0))
    with pytest.raises(WorkerError, match="stopped"):
        waiting()
    assert not gone.ready()  # this process could still send
    assert gone.receive() is None  # receiving closes its sending end: nobody is left to send
    sent_none.close()
    gone.close()


def test_a_handover_says_whether_it_has_been_sent():
    hand = forked.Handover()
    pending = aside(lambda: hand.send(7))
    pending()
    assert hand.ready()
    assert hand.receive() == 7
    hand.close()
    assert not hand.ready()


def test_an_object_that_cannot_be_sent_raises_there_and_the_receiver_gets_none():
    hand = forked.Handover()
    pending = aside(lambda: ("received", hand.receive()))
    with pytest.raises(AttributeError, match="local object"):
        hand.send(lambda: "a function made here cannot be pickled")
    for _ in range(100):  # the receiver is told at once, not left waiting
        if pending.ready():
            break
        time.sleep(0.1)
    told = pending.ready()
    hand.close()  # (a receiver left waiting would end now)
    assert told
    assert pending() == ("received", None)


def test_a_handover_without_files_in_memory_uses_an_unnamed_temporary_file(monkeypatch):
    def refused(*args):
        raise OSError("memfd_create not allowed here")

    monkeypatch.setattr(forked.os, "memfd_create", refused, raising=False)
    hand = forked.Handover()
    pending = aside(lambda: hand.receive())
    hand.send({"borders": list(range(1000))})
    assert pending() == {"borders": list(range(1000))}
    hand.close()
