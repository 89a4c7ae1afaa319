"""Timing and reporting shared by the data peer scripts (data_groupby, data_join, data_cluster)."""

import json
import statistics
import time


def timed(run, repeats):
    """Runs `run` once to warm up, then `repeats` times: the times (seconds) and the last result."""
    run()
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return times, result


def emit(engine, query, times, rows, sums):
    """Prints one JSON line that `flock bench data` reads: the timing and the answer's checks."""
    print(json.dumps({"engine": engine, "query": query, "median": statistics.median(times), "best": min(times),
                      "rows": rows, "sums": sums}), flush=True)
