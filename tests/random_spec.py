#!/usr/bin/python3
"""random_spec.py - a random valid model spec from a seed, for the tests that
run the compiler on specs nobody wrote (tests/t_random_specs.sh).

    random_spec.py SEED [--smooth] [--input HxWxC]

Prints one spec: an input (random, small, unless --input), up to seven
layers of every kind (conv with any kernel, stride and padding, channel
counts that fill vectors or not; dwconv with a multiplier; max and average
pooling, windowed or global; batchnorm; dropout; add and concat of a named
layer of the right shape; a branch that reads a named layer with `from`
and is concatenated with the layer before it),
then flatten or global pooling, maybe a hidden dense layer, and the output
layer (softmax, linear or none).  The same seed gives the same spec.
--smooth keeps to activations without kinks (tanh, sigmoid, linear), for
finite differences; otherwise relu, relu6 and leaky_relu come too.
Shapes are tracked as the compiler infers them (docs/spec-language.md), so
every spec passes `convc check`; values per layer stay below 4,000 (30,000
with --input) so that the checks run in seconds."""

import argparse
import random
import sys

SMOOTH = ["tanh", "sigmoid", "linear", ""]
KINKED = ["relu", "relu6", "leaky_relu"]


def out_size(n, k, s, pad):
    """Output length of a window of k with stride s over n ('same' or 'valid')."""
    return -(-n // s) if pad == "same" else (n - k) // s + 1


def window(r, h, w, most):
    """A random KHxKW window that 'valid' padding can take, with its padding."""
    kh, kw = r.randint(1, min(most, h + 2)), r.randint(1, min(most, w + 2))
    pad = r.choice(["same", "valid"])
    if kh > h or kw > w:
        pad = "same"
    return kh, kw, pad


def spec(seed, smooth, shape):
    r = random.Random(seed)
    acts = SMOOTH if smooth else SMOOTH + KINKED
    if shape is None:
        shape = (r.randint(3, 12), r.randint(3, 12), r.choice([1, 2, 3, 8, 16]))
    budget = 4000 if shape[0] * shape[1] * shape[2] <= 4000 else 30000
    lines = ["model rs%d" % seed, "input %dx%dx%d" % shape]
    names = {}                                      # name -> shape of its output
    image = True
    for i in range(r.randint(1, 7)):
        h, w, c = shape
        kind = r.choice(["conv", "conv", "dwconv", "pool", "batchnorm", "dropout",
                         "add", "concat", "from"])
        act = r.choice(acts)
        text = None
        if kind == "conv":
            n = r.choice([8, 16, 32]) if r.random() < 0.5 else r.randint(1, 6)
            kh, kw, pad = window(r, h, w, 7)
            sh, sw = r.choice([1, 1, 1, 2]), r.choice([1, 1, 2, 3])
            k = "k=%d" % kh if kh == kw and r.random() < 0.5 else "k=%dx%d" % (kh, kw)
            stride = "" if sh == sw == 1 else " stride=%dx%d" % (sh, sw)
            text = "conv %d %s%s %s %s" % (n, k, stride, pad, act)
            shape = (out_size(h, kh, sh, pad), out_size(w, kw, sw, pad), n)
        elif kind == "dwconv":
            kh, kw, pad = window(r, h, w, 7)
            sh, sw, mult = r.choice([1, 1, 2]), r.choice([1, 1, 2]), r.choice([1, 1, 2, 3])
            stride = "" if sh == sw == 1 else " stride=%dx%d" % (sh, sw)
            text = "dwconv k=%dx%d%s %s %s mult=%d" % (kh, kw, stride, pad, act, mult)
            shape = (out_size(h, kh, sh, pad), out_size(w, kw, sw, pad), c * mult)
        elif kind == "pool" and r.random() < 0.2:
            text = "pool %s global" % r.choice(["max", "avg"])
            shape, image = (1, 1, c), False
        elif kind == "pool":
            ph, pw, pad = window(r, h, w, 3)
            sh, sw = r.randint(1, 3), r.randint(1, 3)
            text = "pool %s %dx%d stride=%dx%d %s" % (r.choice(["max", "avg"]), ph, pw, sh, sw,
                                                      pad)
            shape = (out_size(h, ph, sh, pad), out_size(w, pw, sw, pad), c)
        elif kind == "batchnorm":
            text = "batchnorm %s momentum=0.9 eps=0.01" % act
        elif kind == "dropout":
            text = "dropout 0.%d" % r.randint(0, 5)
        elif kind == "add":
            same = sorted(n for n, s in names.items() if s == shape)
            if same:
                text = "add %s %s" % (r.choice(same), act)
        elif kind == "concat":
            same = sorted(n for n, s in names.items() if s[:2] == shape[:2])
            if same:
                other = r.choice(same)
                text = "concat %s" % other
                shape = (h, w, c + names[other][2])
        elif kind == "from" and len(lines) > 2:
            # a branch from an earlier layer of the same size, joined to the
            # current one (which would otherwise be read by nothing)
            earlier = sorted(n for n, s in names.items() if s[:2] == shape[:2])
            if earlier:
                other, n = r.choice(earlier), r.randint(1, 8)
                if " as " not in lines[-1]:
                    lines[-1] += " as b%d" % i
                    names["b%d" % i] = shape
                lines.append("conv %d k=1 %s from %s" % (n, act, other))
                text = "concat %s" % lines[-2].split(" as ")[1]
                shape = (h, w, n + c)
        if text is None:
            continue
        if shape[0] < 1 or shape[1] < 1 or shape[0] * shape[1] * shape[2] > budget:
            return None
        if image and r.random() < 0.4:
            text += " as n%d" % i
            names["n%d" % i] = shape
        lines.append(text)
        if not image:
            break
    if image:
        lines.append(r.choice(["flatten", "pool avg global", "pool max global"]))
    if r.random() < 0.5:
        lines.append("dense %d %s" % (r.randint(1, 9), r.choice(acts)))
    lines.append("dense %d%s" % (r.randint(2, 5), r.choice(["", " softmax", " linear"])))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seed", type=int)
    ap.add_argument("--smooth", action="store_true")
    ap.add_argument("--input", help="HxWxC")
    args = ap.parse_args()
    shape = tuple(int(v) for v in args.input.split("x")) if args.input else None
    # a seed whose shapes run out of room tries the next one
    for seed in range(args.seed, args.seed + 1000):
        text = spec(seed, args.smooth, shape)
        if text:
            sys.stdout.write(text.replace("model rs%d" % seed, "model rs%d" % args.seed))
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
