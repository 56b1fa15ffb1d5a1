#!/usr/bin/python3
"""torch_epoch.py - the PyTorch side of `make bench`'s end-to-end rows: one
epoch on the real data, as a user waits for it.

    /usr/bin/python3 bench/torch_epoch.py --data DIR [--format F] [--limit N] SPEC

The protocol is the trainer's (`train --epochs 1 --batch 32`): read the four
IDX files (gzip or plain), scale pixels to [0,1], train one epoch with Adam
(Keras' defaults) on the training images in a seeded random order, batch 32,
then evaluate the 10,000 test images.  The model comes from the spec through
torch_ref.py, the same network as the kernel-loop rows.

Threads come from the environment (OMP_NUM_THREADS and friends, set by the
caller before torch is imported).  Prints one CSV line a phase, with the same
columns as bench.c:

    torch,cnn_k3,epoch_load_s,real_b32,0.41,...
    torch,cnn_k3,epoch_train_s,real_b32,9.3,...
    torch,cnn_k3,epoch_test_s,real_b32,0.62,...
"""

import argparse
import gzip
import os
import struct
import sys
import time

T_START = time.perf_counter()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ref  # noqa: E402  (the spec reader and the model builder)


def read_idx(data, stem):
    """The IDX file data/stem, gzipped or not, as (dims, bytes)."""
    for path, opener in ((os.path.join(data, stem), open),
                         (os.path.join(data, stem + ".gz"), gzip.open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                raw = f.read()
            magic = struct.unpack(">I", raw[:4])[0]
            if magic >> 8 != 0x08:
                raise SystemExit("torch_epoch: %s: not an IDX file of bytes" % path)
            ndim = magic & 0xFF
            dims = struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim])
            return dims, raw[4 + 4 * ndim:]
    raise SystemExit("torch_epoch: %s: no %s or %s.gz" % (data, stem, stem))


def load(torch, data, limit, layout):
    def images(stem):
        dims, raw = read_idx(data, stem)
        n, h, w = dims[0], dims[1], dims[2]
        c = dims[3] if len(dims) > 3 else 1
        x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(n, h, w, c)
        return x.permute(0, 3, 1, 2).float().div_(255.0).contiguous(memory_format=layout)

    def labels(stem):
        _, raw = read_idx(data, stem)
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).long()
    xtr, ytr = images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte")
    xte, yte = images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte")
    if limit:
        xtr, ytr = xtr[:limit], ytr[:limit]
    return xtr, ytr, xte, yte


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder of the four IDX files")
    ap.add_argument("--format", choices=("nchw", "channels_last"), default="channels_last")
    ap.add_argument("--limit", type=int, default=0, help="training images (0: all)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("spec")
    a = ap.parse_args()

    import torch
    t_import = time.perf_counter()
    torch.manual_seed(1)
    spec_model = torch_ref.read_spec(a.spec)
    model, _ = torch_ref.build_model(torch, spec_model)
    layout = torch.contiguous_format
    if a.format == "channels_last":
        layout = torch.channels_last
        model = model.to(memory_format=layout)
    xtr, ytr, xte, yte = load(torch, a.data, a.limit, layout)
    t_loaded = time.perf_counter()

    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    order = torch.randperm(xtr.shape[0])
    model.train()
    for first in range(0, xtr.shape[0], a.batch):
        idx = order[first:first + a.batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
    t_trained = time.perf_counter()

    model.eval()
    correct = 0
    with torch.no_grad():
        for first in range(0, xte.shape[0], 1000):
            out = model(xte[first:first + 1000])
            correct += int((out.argmax(1) == yte[first:first + 1000]).sum())
    t_tested = time.perf_counter()

    note = "import %.2f s; test accuracy %.4f" % (t_import - T_START, correct / xte.shape[0])
    for metric, value in (("epoch_load_s", t_loaded - T_START),
                          ("epoch_train_s", t_trained - t_loaded),
                          ("epoch_test_s", t_tested - t_trained)):
        print("torch,%s,%s,real_b%d,%.3f,%s" % (spec_model.name, metric, a.batch, value, note))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except torch_ref.SpecError as e:
        print("torch_epoch: %s" % e, file=sys.stderr)
        sys.exit(1)
