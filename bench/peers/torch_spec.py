#!/usr/bin/env python3
"""The PyTorch peer: trains a dni spec's network (dense, conv2d, maxPool2d, flatten; backprop only) on the MNIST
that ships with dni, the way dni does (Glorot-uniform kernels, zero biases, batch norm with momentum 0.01 and eps
1e-3, Adam 1e-3 with eps 1e-7, batch 128, pixels / 255), and prints each epoch's test accuracy and seconds.

    /usr/bin/python3 bench/peers/torch_spec.py --spec examples/cnn_backprop.json --epochs 3 --seed 1 --threads 1

Needs Debian's python3 with torch and numpy (apt-get install python3-torch python3-numpy). The data order is
torch's own shuffle for the seed, not dni's: compare accuracies over epochs, not batch by batch.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
from torch import nn

from _mnist import idx  # bench/peers/_mnist.py, beside this script



def build(spec):
    shape = list(spec["input"])  # [H, W, C] or [units]
    layers = []
    for i, layer in enumerate(spec["layers"]):
        kind = layer["type"]
        interface = layer.get("interface", "backprop")
        if (interface if isinstance(interface, str) else interface["type"]) != "backprop":
            sys.exit(f"error: layers[{i}] uses interface {interface!r}; the peer trains backprop only")
        if kind in ("dense", "conv2d"):
            bn = layer.get("batchNorm", False)
            if kind == "dense":
                op = nn.Linear(shape[0], layer["units"], bias=not bn)
                shape = [layer["units"]]
            else:
                k = layer["kernelSize"]
                same = layer.get("padding", "valid") == "same"
                op = nn.Conv2d(shape[2], layer["filters"], k, stride=layer.get("strides", 1),
                               padding="same" if same else 0, bias=not bn)
                out = shape[0] if same else shape[0] - k + 1
                shape = [out, out if same else shape[1] - k + 1, layer["filters"]]
            nn.init.xavier_uniform_(op.weight)
            if op.bias is not None:
                nn.init.zeros_(op.bias)
            layers.append(op)
            if bn:
                width = shape[-1]
                layers.append((nn.BatchNorm1d if kind == "dense" else nn.BatchNorm2d)(width, eps=1e-3, momentum=0.01))
            act = layer.get("activation", "linear")
            if act != "linear":
                layers.append({"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}[act])
        elif kind == "maxPool2d":
            p = layer["poolSize"]
            layers.append(nn.MaxPool2d(p))
            shape = [shape[0] // p, shape[1] // p, shape[2]]
        elif kind == "flatten":
            # dni flattens NHWC; torch is NCHW: permute first so the dense layer sees the same order.
            layers.append(Flatten())
            shape = [shape[0] * shape[1] * shape[2]]
        else:
            sys.exit(f"error: layers[{i}].type {kind!r} is not one the peer knows (dense, conv2d, maxPool2d, flatten)")
    return nn.Sequential(*layers)


class Flatten(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    a = parser.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    with open(a.spec) as f:
        spec = json.load(f)
    image = len(spec["input"]) == 3
    def tensors(images, labels):
        x = torch.from_numpy(images.astype(np.float32) / 255)
        x = x.reshape(-1, 1, 28, 28) if image else x.reshape(-1, 784)
        return x, torch.from_numpy(labels.astype(np.int64))
    x, y = tensors(idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz"))
    tx, ty = tensors(idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz"))
    model = build(spec)
    optimizer = torch.optim.Adam(model.parameters(), lr=spec.get("optimizer", {}).get("learningRate", 1e-3), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    epochs = []
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(x))
        start = time.perf_counter()
        for i in range(0, len(x), a.batch_size):
            batch = order[i:i + a.batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum()) for i in range(0, len(tx), 1000))
        record = {"epoch": epoch, "testAccuracy": correct / len(tx), "seconds": seconds,
                  "samplesPerSecond": len(x) / seconds}
        epochs.append(record)
        print(f"epoch {epoch}/{a.epochs}  test acc {100 * record['testAccuracy']:.2f}%  {seconds:.1f}s  "
              f"{record['samplesPerSecond']:.0f} samples/s", file=sys.stderr if a.json else sys.stdout)
    if a.json:
        print(json.dumps({"torch": torch.__version__, "threads": a.threads, "epochs": epochs}))


if __name__ == "__main__":
    main()
