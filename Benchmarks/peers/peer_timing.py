"""Timing and reporting shared by the peer scripts."""

import json
import statistics
import time


def timed(run, repeats):
    """Runs `run` once to warm up, then `repeats` times: the times (seconds) and the last result."""
    run()
    times, result = [], None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return times, result


def training_steps(model, optimizer, features, labels, steps):
    """A function that runs `steps` PyTorch training steps (cross-entropy) on one fixed batch."""
    import torch.nn.functional as functional

    def run():
        for _ in range(steps):
            optimizer.zero_grad()
            functional.cross_entropy(model(features), labels).backward()
            optimizer.step()

    return run


def rates(samples, times):
    """The median and best of `samples` per second over `times`."""
    return {"median": samples / statistics.median(times), "best": samples / min(times)}


def emit(engine, query, times, rows, sums):
    """Prints one JSON line that `flock bench data` reads: the timing and the answer's checks."""
    print(json.dumps({"engine": engine, "query": query, "median": statistics.median(times), "best": min(times),
                      "rows": rows, "sums": sums}), flush=True)
