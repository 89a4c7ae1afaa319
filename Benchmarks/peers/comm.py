"""The Gloo peer of `flock bench comm --peers`: torch.distributed with the Gloo backend on
--world local processes (one thread each), timing all-reduce, broadcast, all-gather and
reduce-scatter of float32 tensors and the barrier exactly as Flock's workers do (two
warm-up operations, then --repeats runs of a fixed number of operations, each run after a
barrier). Rank 0 prints one JSON line per measurement: {"name": "comm/allreduce/world2/
16MiB", "median": seconds per operation, "best": ...}, or {"name": ..., "unsupported":
reason} when Gloo lacks the operation.
"""
import argparse
import json
import socket
import statistics
import time

parser = argparse.ArgumentParser()
parser.add_argument("--world", type=int, default=2)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--quick", action="store_true")
parser.add_argument("--only", default="")
args = parser.parse_args()

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
except ImportError as error:
    print(json.dumps({"name": "gloo", "missing": str(error)}))
    raise SystemExit(0)


def label(size):
    return f"{size >> 20}MiB" if size >= 1 << 20 else f"{size >> 10}KiB"


def timed(operation, size):
    iterations = max(2, min(200, (256 << 20) // max(size, 1) // 4))
    operation()
    operation()
    times = []
    for _ in range(max(1, args.repeats)):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iterations):
            operation()
        times.append((time.perf_counter() - start) / iterations)
    return times


def worker(rank, port):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=args.world)
    n = args.world

    def emit(name, times=None, unsupported=None):
        if rank != 0:
            return
        line = {"name": name}
        if unsupported is not None:
            line["unsupported"] = unsupported
        else:
            line.update(median=statistics.median(times), best=min(times))
        print(json.dumps(line), flush=True)

    def wanted(name):
        return args.only in name

    if wanted(f"comm/barrier/world{n}/latency"):
        emit(f"comm/barrier/world{n}", timed(dist.barrier, 0))
    sizes = [1 << e for e in ([12, 16, 20, 24] if args.quick else [12, 14, 16, 18, 20, 22, 24, 26])]
    for size in sizes:
        count = size // 4 // n * n
        full = torch.ones(count)
        part = torch.ones(count // n)
        parts = [torch.empty(count // n) for _ in range(n)]
        gathered = torch.empty(count)
        operations = [
            ("allreduce", lambda: dist.all_reduce(full)),
            ("broadcast", lambda: dist.broadcast(full, src=0)),
            ("allgather", lambda: dist.all_gather_into_tensor(gathered, part)),
            ("reducescatter", lambda: dist.reduce_scatter_tensor(part, full)),
        ]
        for name, operation in operations:
            full_name = f"comm/{name}/world{n}/{label(size)}"
            if not wanted(full_name):
                continue
            try:
                emit(full_name, timed(operation, size))
            except (RuntimeError, NotImplementedError) as error:
                emit(full_name, unsupported=str(error).splitlines()[0])
                if name == "allgather":  # the list form, which Gloo has always had
                    emit(full_name, timed(lambda: dist.all_gather(parts, part), size))
                dist.barrier()
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.spawn(worker, args=(port,), nprocs=args.world)
