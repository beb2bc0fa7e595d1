#!/usr/bin/env python3
"""The PyTorch LSTM speed peer: sequential MNIST as dni's examples/seq_mnist_lstm_bptt.json builds it (LSTM 128 over
28 steps of 28 pixels, a dense layer of 10 on the last hidden state, softmax cross-entropy, Adam 1e-3 with eps 1e-7,
batch 32, full BPTT over the 28 steps) on N threads: ms per training step on a random batch (inputs in [0, 1),
random labels), after a warm-up.

    /usr/bin/python3 bench/peers/torch_lstm.py --threads 1 --rounds 5 --json
    /usr/bin/python3 bench/peers/torch_lstm.py --serve   # `steps seq-mnist 20`, `quit` on stdin (bench/_lstm_runner.ts)

Needs Debian's python3 with torch (apt-get install python3-torch).
"""
import argparse
import json
import os
import statistics
import time

BATCH = 32
TIME = 28
FEATURES = 28
UNITS = 128
CLASSES = 10


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and the BLAS's threads")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of steps (median and min are reported)")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed round")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps before the rounds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve", action="store_true",
                        help="warm up, then time what stdin asks, one JSON line per request")
    return parser.parse_args()


A = parse()
# Before torch is imported: the BLAS reads these when it loads.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(A.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402

from _serve import serve  # noqa: E402 (bench/peers/_serve.py, beside this script)


class SeqMnist(nn.Module):
    """LSTM 128 (Keras's gate order does not matter for speed; forget bias 1 as dni's) and a dense 10 on h_T."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
        for name, p in self.lstm.named_parameters():
            if name.startswith("weight"):
                nn.init.xavier_uniform_(p)
            else:
                nn.init.zeros_(p)
        with torch.no_grad():
            self.lstm.bias_ih_l0[UNITS:2 * UNITS] = 1  # PyTorch's order is i, f, g, o too
        self.out = nn.Linear(UNITS, CLASSES)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.out(h[0])


class Peer:
    def __init__(self):
        self.net = SeqMnist()
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3, eps=1e-7)
        self.loss = nn.CrossEntropyLoss()
        self.x = torch.rand(BATCH, TIME, FEATURES)
        self.y = torch.randint(0, CLASSES, (BATCH,))
        self.run(A.warmup)

    def run(self, n):
        for _ in range(n):
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss(self.net(self.x), self.y)
            loss.backward()
            self.opt.step()

    def steps(self, kind, n):
        if kind != "seq-mnist":
            raise ValueError(f"unknown case {kind}: this peer times seq-mnist")
        t0 = time.perf_counter()
        self.run(n)
        return (time.perf_counter() - t0) * 1000 / n


def main():
    torch.manual_seed(A.seed)
    torch.set_num_threads(A.threads)
    info = {"torch": torch.__version__, "threads": A.threads, "torchThreads": torch.get_num_threads(),
            "blas": None, "blasThreads": None, "batch": BATCH}
    peer = Peer()
    if A.serve:
        serve(info, {"steps": lambda case, n: {"ms": peer.steps(case, int(n))}})
        return
    rounds = [peer.steps("seq-mnist", A.steps) for _ in range(A.rounds)]
    out = {**info, "msPerStep": statistics.median(rounds), "minMsPerStep": min(rounds), "rounds": rounds}
    print(json.dumps(out) if A.json else f"seq-mnist: {out['msPerStep']:.2f} ms/step (rounds {rounds})")


if __name__ == "__main__":
    main()
