"""The Ray peer of `flock bench runtime --peers`: the same work as Flock's local cluster of
2 workers, on a local Ray of 2 CPUs: start-up (ray.init to the first task's answer), 10,000
no-op tasks submitted then gathered, a chain of 1,000 dependent tasks, put of a 100 MiB
float32 array then a task that sums it, and actor calls one at a time and all in flight.
One warm-up round, then --repeats rounds; one JSON line per measurement, named and in the
unit of Flock's record: {"name", "median", "best"} (best is the largest rate or the
smallest time).
"""
import argparse
import json
import os
import statistics
import time

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--quick", action="store_true")
parser.add_argument("--only", default="")
args = parser.parse_args()

try:
    import numpy as np
    import ray
except ImportError as error:
    print(json.dumps({"name": "ray", "missing": str(error)}))
    raise SystemExit(0)

os.environ.setdefault("RAY_DEDUP_LOGS", "0")


def emit(name, values, higher_is_better):
    best = max(values) if higher_is_better else min(values)
    print(json.dumps({"name": name, "median": statistics.median(values), "best": best}), flush=True)


def rounds(body):
    body()
    return [body() for _ in range(max(1, args.repeats))]


def selected(section):
    return not args.only or section in args.only or args.only in section


@ray.remote
def noop():
    return 0


@ray.remote
def link(previous):
    return previous + 1


@ray.remote
def total(values):
    return float(values.sum())


@ray.remote
class Tally:
    def __init__(self):
        self.count = 0

    def bump(self):
        self.count += 1
        return self.count


def start():
    began = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    ray.get(noop.remote())
    return time.perf_counter() - began


startups = []
for _ in range(min(3, max(1, args.repeats))):
    startups.append(start())
    ray.shutdown()
emit("runtime/local-cluster/startup", startups, False)
start()

if selected("noop"):
    count = 2_000 if args.quick else 10_000

    def burst():
        began = time.perf_counter()
        ray.get([noop.remote() for _ in range(count)])
        return count / (time.perf_counter() - began)

    emit("runtime/noop-tasks/throughput", rounds(burst), True)

if selected("chain"):
    length = 200 if args.quick else 1_000

    def chain():
        began = time.perf_counter()
        ref = noop.remote()
        for _ in range(length):
            ref = link.remote(ref)
        assert ray.get(ref) == length
        return (time.perf_counter() - began) / (length + 1) * 1e6

    emit("runtime/chained-tasks/latency", rounds(chain), False)

if selected("object"):
    values = np.ones((16 if args.quick else 100) << 18, dtype=np.float32)
    size = f"{len(values) >> 18}MiB"

    def put_then_sum():
        began = time.perf_counter()
        assert ray.get(total.remote(ray.put(values))) == len(values)
        return values.nbytes / (time.perf_counter() - began) / 1e9

    emit(f"runtime/object/{size}/put-then-sum", rounds(put_then_sum), True)

if selected("actor"):
    count = 2_000 if args.quick else 10_000
    tally = Tally.remote()

    def sequential():
        began = time.perf_counter()
        for _ in range(count):
            ray.get(tally.bump.remote())
        return (time.perf_counter() - began) / count * 1e6

    def pipelined():
        began = time.perf_counter()
        ray.get([tally.bump.remote() for _ in range(count)])
        return count / (time.perf_counter() - began)

    emit("runtime/actor-calls/sync-latency", rounds(sequential), False)
    emit("runtime/actor-calls/pipelined", rounds(pipelined), True)

ray.shutdown()
