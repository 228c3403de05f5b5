"""Jobs run by forked workers that share the caller's data (hazid.forked)."""

from __future__ import annotations

import threading

import pytest

from hazid.forked import can_fork, forked_map

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
