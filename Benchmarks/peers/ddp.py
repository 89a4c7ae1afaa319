"""The PyTorch peer of `flock bench ddp --peers`: the MLP 784-1024-1024-10 with Adam,
global batch 256, on --world local processes of one thread each: one process trains the
plain model, as a user without DDP would; two or more wrap it in DistributedDataParallel
over Gloo, each with its share of the batch. A warm-up run, then --repeats runs of --steps
steps. Rank 0 prints {"world": N, "median": samples/s, "best": samples/s}.
"""
import argparse
import json
import socket

from peer_timing import rates, timed, training_steps

parser = argparse.ArgumentParser()
parser.add_argument("--world", type=int, default=2)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--steps", type=int, default=20)
args = parser.parse_args()

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    from torch import nn
except ImportError as error:
    print(json.dumps({"world": args.world, "missing": str(error)}))
    raise SystemExit(0)

GLOBAL_BATCH = 256


def worker(rank, port):
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    if args.world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=args.world)
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.Adam(model.parameters())
    local = GLOBAL_BATCH // args.world
    generator = torch.Generator().manual_seed(100 + rank)
    features = torch.randn(local, 784, generator=generator)
    labels = torch.tensor([(i * 7 + rank) % 10 for i in range(local)])

    times, _ = timed(training_steps(model, optimizer, features, labels, args.steps), args.repeats)
    if rank == 0:
        print(json.dumps({"world": args.world, **rates(args.steps * GLOBAL_BATCH, times)}), flush=True)
    if args.world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if args.world == 1:
        worker(0, port)
    else:
        mp.spawn(worker, args=(port,), nprocs=args.world)
