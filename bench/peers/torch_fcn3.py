#!/usr/bin/env python3
"""The PyTorch speed peer: the MNIST FCN-3 (784-256-256-256-10, ReLU, softmax cross-entropy, Adam 1e-3 with eps
1e-7, batch 128, Glorot-uniform kernels, zero biases, as dni builds it) on N threads: ms per training step (a
random MNIST-shaped batch, warm-up, then timed rounds: median and min) and seconds per epoch of the 60,000 MNIST
training examples that ship with dni (pre-loaded as tensors, shuffled each epoch).

    /usr/bin/python3 bench/peers/torch_fcn3.py --threads 1 --rounds 5 --json
    /usr/bin/python3 bench/peers/torch_fcn3.py --dni --serve   # `steps csg 50`, `epoch`, `quit` on stdin

With --dni, also the step with a synthetic-gradient interface on every hidden layer, as dni's `sg` and `csg` do it:
a linear synthesizer per hidden layer (fed the labels too for `csg`), each layer updates as soon as its synthesizer
answers, and each synthesizer regresses (its own Adam) onto the gradient the layer above sends down. The data
order is torch's own shuffle, not dni's. Needs Debian's python3 with torch and numpy (apt-get install
python3-torch python3-numpy). `bench/speed.ts` (deno task speed) runs it with --serve, so that its steps alternate with dni's native and wasm ones
in one run.
"""
import argparse
import json
import os
import statistics
import sys
import time

BATCH = 128
WIDTHS = [784, 256, 256, 256, 10]


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and the BLAS's threads")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of steps (median and min are reported)")
    parser.add_argument("--steps", type=int, default=50, help="steps per timed round")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps before the rounds")
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs over the 60,000 training examples")
    parser.add_argument("--steps-only", action="store_true", help="no epochs")
    parser.add_argument("--epochs-only", action="store_true", help="no step rounds")
    parser.add_argument("--dni", action="store_true", help="also time the sg and csg steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve", action="store_true",
                        help="warm up, then time what stdin asks, one JSON line per request (for bench/speed.ts)")
    return parser.parse_args()


A = parse()
# Before torch is imported: the BLAS (Debian's torch calls the system's libblas.so.3, OpenBLAS here) reads these
# when it loads, and torch.set_num_threads does not reach it.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(A.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from _mnist import idx  # noqa: E402 (bench/peers/_mnist.py, beside this script)
from _serve import serve  # noqa: E402


def dense(n_in, n_out, zero=False):
    layer = nn.Linear(n_in, n_out)
    if zero:  # dni's synthesizers start at zero: their first predictions are zero gradients
        nn.init.zeros_(layer.weight)
    else:
        nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def adam(params):
    return torch.optim.Adam(params, lr=1e-3, eps=1e-7)


class Backprop:
    """The FCN-3 trained by backprop: one Adam over all weights."""

    def __init__(self):
        self.model = nn.Sequential(dense(784, 256), nn.ReLU(), dense(256, 256), nn.ReLU(), dense(256, 256), nn.ReLU(),
                                   dense(256, 10))
        self.optimizer = adam(self.model.parameters())
        self.loss_fn = nn.CrossEntropyLoss()

    def step(self, x, y, _onehot):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss


class Decoupled:
    """The FCN-3 with a synthetic-gradient interface on every hidden layer, the way dni's `sg`/`csg` step runs:
    layer i's forward, its synthesizer predicts dL/dh_i (per example, B times the batch-mean gradient; for `csg` from
    [h_i, labels]), layer i's backward with it and its update, then the next layer; the backward of layer i+1 gives
    the message for synthesizer i, which takes one L2 regression step onto it (its own Adam). The output layer
    learns from the loss, and its input gradient is synthesizer 2's target."""

    def __init__(self, conditioned):
        self.conditioned = conditioned
        self.layers = [dense(WIDTHS[i], WIDTHS[i + 1]) for i in range(4)]
        self.optimizers = [adam(layer.parameters()) for layer in self.layers]
        extra = 10 if conditioned else 0
        self.synths = [dense(256 + extra, 256, zero=True) for _ in range(3)]
        self.synth_optimizers = [adam(s.parameters()) for s in self.synths]
        self.loss_fn = nn.CrossEntropyLoss()

    def _fit(self, i, prediction, message, batch):
        # loss: batch mean of the squared error summed over units; the target is data
        opt = self.synth_optimizers[i]
        opt.zero_grad(set_to_none=True)
        loss = ((prediction - message * batch) ** 2).sum() / batch
        loss.backward()
        opt.step()

    def step(self, x, y, onehot):
        batch = x.shape[0]
        inp = x
        pending = None  # (synthesizer index, its prediction) waiting for its message
        for i in range(3):
            inp = inp.detach().requires_grad_(i > 0)
            h = torch.relu(self.layers[i](inp))
            trigger = h.detach()
            prediction = self.synths[i](torch.cat([trigger, onehot], 1) if self.conditioned else trigger)
            self.optimizers[i].zero_grad(set_to_none=True)
            h.backward(prediction.detach() / batch)
            self.optimizers[i].step()
            if pending is not None:
                self._fit(pending[0], pending[1], inp.grad, batch)
            pending = (i, prediction)
            inp = trigger
        inp = inp.requires_grad_(True)
        self.optimizers[3].zero_grad(set_to_none=True)
        loss = self.loss_fn(self.layers[3](inp), y)
        loss.backward()
        self.optimizers[3].step()
        self._fit(pending[0], pending[1], inp.grad, batch)
        return loss


def blas_info():
    """What the system's BLAS (libblas.so.3, which Debian's torch links) says it is and its threads (OpenBLAS only)."""
    try:
        import ctypes
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_config.restype = ctypes.c_char_p
        return lib.openblas_get_config().decode(), int(lib.openblas_get_num_threads())
    except (OSError, AttributeError):
        return None, None


class Peer:
    """The nets (warmed up), the step batch and the training set: what the rounds and --serve time."""

    def __init__(self, kinds, steps, epochs):
        self.nets = {}
        if steps:
            # A random MNIST-shaped batch, as bench/_models.ts mnistBatch(): inputs in [0, 1), random labels.
            self.x = torch.rand(BATCH, 784)
            self.y = torch.randint(0, 10, (BATCH,))
            self.onehot = nn.functional.one_hot(self.y, 10).float()
            for name in kinds:
                self.nets[name] = Backprop() if name == "backprop" else Decoupled(name == "csg")
                self.steps(name, A.warmup)
        if epochs:
            self.images = torch.from_numpy(idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255).reshape(-1, 784)
            self.labels = torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
            self.epoch_net = Backprop()
            self.epoch(self.images[:10 * BATCH], self.labels[:10 * BATCH])  # warm-up

    def steps(self, name, n):
        """ms per step over n steps of `name` on the step batch."""
        net = self.nets[name]
        start = time.perf_counter()
        for _ in range(n):
            float(net.step(self.x, self.y, self.onehot))  # the loss read back, as dni's trainStep does
        return 1000 * (time.perf_counter() - start) / n

    def epoch(self, images=None, labels=None):
        """Seconds of one epoch of backprop over the training set (pre-loaded tensors, shuffled)."""
        images = self.images if images is None else images
        labels = self.labels if labels is None else labels
        order = torch.randperm(len(images))
        start = time.perf_counter()
        for i in range(0, len(images), BATCH):
            batch = order[i:i + BATCH]
            float(self.epoch_net.step(images[batch], labels[batch], None))
        return time.perf_counter() - start


def main():
    torch.manual_seed(A.seed)
    torch.set_num_threads(A.threads)
    log = sys.stderr if A.json or A.serve else sys.stdout
    blas, blas_threads = blas_info()
    info = {"torch": torch.__version__, "threads": A.threads, "torchThreads": torch.get_num_threads(),
            "blas": blas, "blasThreads": blas_threads, "batch": BATCH}
    kinds = ["backprop", "sg", "csg"] if A.dni else ["backprop"]
    peer = Peer(kinds, not A.epochs_only, not A.steps_only)
    if A.serve:
        # `steps KIND N` -> {"ms": ...}, `epoch` -> {"seconds": ...}
        serve(info, {"steps": lambda kind, n: {"ms": peer.steps(kind, int(n))},
                     "epoch": lambda: {"seconds": peer.epoch()}})
        return
    out = dict(info)
    if not A.epochs_only:
        out["steps"] = {}
        for name in kinds:
            rounds = [peer.steps(name, A.steps) for _ in range(A.rounds)]
            out["steps"][name] = {"msPerStep": statistics.median(rounds), "minMsPerStep": min(rounds),
                                  "rounds": rounds}
            print(f"{name:8s} step: median {statistics.median(rounds):.2f} ms, min {min(rounds):.2f} ms "
                  f"({A.rounds} rounds of {A.steps})", file=log)
    if not A.steps_only:
        epochs = []
        for epoch in range(1, A.epochs + 1):
            seconds = peer.epoch()
            epochs.append(seconds)
            print(f"epoch {epoch}: {seconds:.2f} s, {len(peer.images) / seconds:.0f} samples/s", file=log)
        out["epoch"] = {"examples": len(peer.images), "seconds": statistics.median(epochs), "minSeconds": min(epochs),
                        "rounds": epochs}
    if A.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
