"""The MNIST that ships with dni (datasets/data/mnist/*.gz), read as numpy arrays: shared by the PyTorch peers."""
import gzip
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def idx(name):
    """The IDX file `name` of the shipped MNIST as a uint8 array of its shape."""
    with gzip.open(os.path.join(ROOT, "datasets", "data", "mnist", name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
