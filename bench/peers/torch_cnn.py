#!/usr/bin/env python3
"""The PyTorch peer of the MNIST CNN step (bench/_cnn_runner.ts): the network of a dni spec (default
examples/cnn_backprop.json) built as torch_spec.py builds it (same layers, init, batch norm, Adam 1e-3 eps 1e-7),
stepped on a random MNIST-shaped batch of 128, the loss read back each step as dni's trainStep does.

    /usr/bin/python3 bench/peers/torch_cnn.py --threads 1 --serve   # `steps backprop 20` -> {"ms": ...}, `quit`
    /usr/bin/python3 bench/peers/torch_cnn.py --threads 1           # 5 rounds of 20 steps, printed

Backprop only (the peer has no synthetic-gradient conv step). Needs Debian's python3 with torch and numpy.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_spec import build  # noqa: E402 -- beside this script
from _serve import serve  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def step_of(spec_file, threads, batch_size):
    """One training step of the spec's network (Adam 1e-3, eps 1e-7) on a random MNIST-shaped batch, as a function."""
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    with open(spec_file) as f:
        spec = json.load(f)
    model = build(spec)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    h, w, c = spec["input"]
    x = torch.rand(batch_size, c, h, w)
    y = torch.randint(0, 10, (batch_size,))

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        float(loss)

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=os.path.join(HERE, "..", "..", "examples", "cnn_backprop.json"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true")
    a = parser.parse_args()
    step = step_of(a.spec, a.threads, a.batch_size)

    def steps(n):
        start = time.perf_counter()
        for _ in range(n):
            step()
        return 1000 * (time.perf_counter() - start) / n

    def backprop_steps(iface, n):
        if iface != "backprop":
            raise ValueError(f"the peer times backprop only, not {iface}")
        return steps(n)

    steps(a.warmup)
    info = {"torch": torch.__version__, "threads": a.threads, "torchThreads": torch.get_num_threads(),
            "batch": a.batch_size}
    if a.serve:
        serve(info, {"steps": lambda iface, n: {"ms": backprop_steps(iface, int(n))}})
        return
    rounds = [steps(a.steps) for _ in range(a.rounds)]
    med = statistics.median(rounds)
    print(json.dumps({**info, "msPerStep": med, "samplesPerSecond": a.batch_size * 1000 / med, "rounds": rounds}))


if __name__ == "__main__":
    main()
