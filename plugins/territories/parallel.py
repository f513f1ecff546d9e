"""Spread independent work over the machine's cores with forked worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable

# Items per worker below which a worker's start-up (fork, pickled results: ~20 ms) costs more
# than it saves. A territory loads or renders in 15-40 ms; with 4, a cold build of 10
# territories went from 0.83-1.00 s (one process) to 0.65-0.76 s (two).
MIN_ITEMS = 4

_job: Callable | None = None  # set in the parent just before forking, read by the children
_worker = False  # true in a forked worker: what it returns is pickled back to the parent


def _run(chunk: list) -> list:
    """A worker's share (module-level: the executor pickles the function it calls)."""
    global _worker
    _worker = True
    return _job(chunk)


def in_worker() -> bool:
    """Whether this code runs in a worker process (its results travel pickled)."""
    return _worker


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_chunks(
    job: Callable[[list], list],
    items: list,
    workers: int | None = None,
    min_items: int | None = None,
) -> list:
    """job(chunk) over interleaved chunks of `items`, the parent working on the first one.

    Results come back concatenated in chunk order, so callers key them (e.g. by slug) rather
    than relying on positions. Runs in-process when there is one core or fewer than
    `min_items` items per worker (encoding a photo takes long enough for one item each).
    """
    global _job
    count = min(workers or cores(), max(1, len(items) // (min_items or MIN_ITEMS)))
    if count < 2:
        return job(items)
    # Imported here: a rebuild of one territory never forks, and skips their import time.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return job(items)
    chunks = [items[i::count] for i in range(count)]
    _job = job
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(count - 1, mp_context=context) as pool:
            futures = [pool.submit(_run, chunk) for chunk in chunks[1:]]
            results = job(chunks[0])
            for future in futures:
                results += future.result()
    finally:
        _job = None
    return results
