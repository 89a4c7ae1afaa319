"""The PyTorch peer of `flock bench train --peers`: the same three cases as Flock's
(digits MLP 64-256-256-10 with SGD momentum 0.9, batch 64; MLP 784-1024-1024-10 with Adam,
batch 128; LeNet-5 on 1x28x28 with SGD momentum 0.9, batch 64), one fixed batch each, the
same thread count, a warm-up run and then --repeats runs of --steps training steps. One
JSON line per case: {"case": "digits-mlp/t1", "median": samples/s, "best": samples/s}.
"""
import argparse
import json

from peer_timing import rates, timed, training_steps

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, required=True)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--steps", type=int, default=30)
parser.add_argument("--cases", default="digits-mlp,mlp-784-1024-1024-10,lenet5-1x28x28")
args = parser.parse_args()

try:
    import torch
    from torch import nn
except ImportError as error:
    print(json.dumps({"case": "pytorch", "missing": str(error)}))
    raise SystemExit(0)

torch.set_num_threads(args.threads)
torch.manual_seed(0)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def cases():
    digits = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    wide = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    lenet = lenet5()
    yield ("digits-mlp", digits, torch.optim.SGD(digits.parameters(), lr=0.05, momentum=0.9),
           torch.rand(64, 64), torch.randint(0, 10, (64,)))
    yield ("mlp-784-1024-1024-10", wide, torch.optim.Adam(wide.parameters()),
           torch.randn(128, 784), torch.randint(0, 10, (128,)))
    yield ("lenet5-1x28x28", lenet, torch.optim.SGD(lenet.parameters(), lr=0.01, momentum=0.9),
           torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,)))


wanted = set(args.cases.split(","))
for name, model, optimizer, features, labels in cases():
    if name not in wanted:
        continue

    times, _ = timed(training_steps(model, optimizer, features, labels, args.steps), args.repeats)
    print(json.dumps({"case": f"{name}/t{args.threads}", **rates(args.steps * len(labels), times)}), flush=True)
