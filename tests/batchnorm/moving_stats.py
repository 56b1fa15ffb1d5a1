#!/usr/bin/python3
"""moving_stats.py CKPT - checks a checkpoint of a model with batchnorm
(docs/checkpoint-format.md): every batchnormN.moving_mean and
batchnormN.moving_variance has moved away from its start (0 and 1: the
trainer updates them) while every optimizer state array is exactly zero
there (the optimizer never touches them).  Exit status 0 when both hold."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ckpt_patch  # noqa: E402  (the checkpoint's field table)


def main():
    b = open(sys.argv[1], "rb").read()
    n_params, table, at = ckpt_patch.layout(b)
    tensors = {name: (off, cnt) for name, off, cnt, _ in table}
    settings, at = ckpt_patch.read_fields(b, at)
    n_state = settings["n_state"]
    params = struct.unpack_from("<%df" % n_params, b, at)
    states = [struct.unpack_from("<%df" % n_params, b, at + 4 * n_params * (k + 1))
              for k in range(n_state)]
    bad, seen = 0, 0
    for name, (off, cnt) in tensors.items():
        start = {"moving_mean": 0.0, "moving_variance": 1.0}.get(name.split(".")[-1])
        if start is None:
            continue
        seen += 1
        if all(v == start for v in params[off:off + cnt]):
            print("moving_stats: %s: still at its start %g" % (name, start))
            bad += 1
        for k, s in enumerate(states):
            if any(v != 0.0 for v in s[off:off + cnt]):
                print("moving_stats: %s: optimizer state %d is not zero" % (name, k))
                bad += 1
    if seen == 0:
        print("moving_stats: no moving statistics in " + sys.argv[1])
        return 1
    print("moving_stats: %d tensors updated by training, untouched by the optimizer's %d "
          "state arrays%s" % (seen, n_state, ": FAIL" if bad else ""))
    return 1 if bad else 0


sys.exit(main())
