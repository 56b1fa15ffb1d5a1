#!/usr/bin/python3
"""random_idx.py DIR N_TRAIN N_TEST CLASSES SEED - writes a random IDX data
set to DIR (made if missing): {train,t10k}-{images-idx3,labels-idx1}-ubyte,
28x28 images of random bytes and labels below CLASSES, the same bytes for
the same arguments."""
import os
import random
import struct
import sys


def main():
    d = sys.argv[1]
    n_train, n_test, classes, seed = (int(a) for a in sys.argv[2:6])
    os.makedirs(d, exist_ok=True)
    r = random.Random(seed)
    for part, n in (("train", n_train), ("t10k", n_test)):
        with open(os.path.join(d, part + "-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) +
                    bytes(r.randrange(256) for _ in range(n * 784)))
        with open(os.path.join(d, part + "-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 2049, n) + bytes(r.randrange(classes) for _ in range(n)))


main()
