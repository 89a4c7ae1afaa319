"""Writes the PyTorch fixture FlockNN's tests load (Tests/FlockNNTests/Fixtures/).

An nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) with seeded weights, saved with
safetensors exactly as PyTorch names it (0.weight, 0.bias, 2.weight, 2.bias), plus an
input batch and PyTorch's output for it, so the test checks that the same file loads
into Flock's Sequential as it is and gives the same outputs.

    python3 -m venv .venv && .venv/bin/pip install -r Benchmarks/peers/requirements.txt
    .venv/bin/python Benchmarks/peers/make_sequential_fixture.py
"""

import pathlib

import torch
from safetensors.torch import save_file

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
inputs = torch.randn(5, 4)
with torch.no_grad():
    outputs = model(inputs)

folder = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "FlockNNTests" / "Fixtures"
folder.mkdir(parents=True, exist_ok=True)
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, folder / "torch_sequential.safetensors")
save_file({"inputs": inputs, "outputs": outputs}, folder / "torch_sequential_io.safetensors")
print("wrote", sorted(model.state_dict().keys()), "to", folder)
