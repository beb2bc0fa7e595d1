#!/usr/bin/env python3
"""Where PyTorch's MNIST CNN step spends its time, by op (torch.profiler, self CPU time over 10 steps, one thread):
the peer of bench/cnn_profile.ts, for docs/backends.md's comparison of the two steps op by op.

    /usr/bin/python3 bench/peers/torch_cnn_profile.py [--spec examples/cnn_backprop.json] [--steps 10]

Needs Debian's python3 with torch and numpy.
"""
import argparse
import os
import sys

from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_cnn import step_of  # noqa: E402 -- beside this script

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=os.path.join(HERE, "..", "..", "examples", "cnn_backprop.json"))
    parser.add_argument("--steps", type=int, default=10)
    a = parser.parse_args()
    step = step_of(a.spec, 1, 128)
    for _ in range(5):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(a.steps):
            step()
    print(f"{a.steps} steps; ms per step = self CPU total / {a.steps}")
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=14))


if __name__ == "__main__":
    main()
