#!/usr/bin/python3
"""torch_reference.py SPEC DIR N - checks the files reference_main.c wrote
into DIR for N samples of SPEC against PyTorch: the same network built from
torch.nn (Conv2d 'same', BatchNorm2d/1d with momentum 1 - m, MaxPool2d,
Linear), the same weights and inputs; the training pass (batch statistics:
summed cross-entropy, probabilities, every gradient), the moving statistics
after it (PyTorch's unbiased variance update), and inference with them.
Understands the statements of the specs it is used with: conv N k=K same,
batchnorm [ACT] [momentum=M] [eps=E], pool P, flatten, dense N [ACT].
Exit status 0 when every value agrees within the tolerances."""
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

ACTS = {"linear": lambda v: v, "relu": torch.relu, "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "softmax": lambda v: v}


def parse(spec):
    layers, shape = [], None
    for line in open(spec):
        words = line.split("#")[0].split()
        if not words or words[0] == "model":
            continue
        if words[0] == "input":
            shape = [int(v) for v in words[1].split("x")]
            continue
        opts = {w.split("=")[0]: w.split("=")[1] for w in words[1:] if "=" in w}
        flags = [w for w in words[1:] if "=" not in w]
        act = next((w for w in flags if w in ACTS), "linear")
        nums = [w for w in flags if re.fullmatch(r"[0-9]+", w)]
        layers.append((words[0], nums, opts, act, "same" in flags))
    return shape, layers


def main():
    spec, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (h, w, c), layers = parse(spec)
    tensors = {}
    for line in open(d + "/tensors.txt"):
        name, off, cnt = line.split()
        tensors[name] = (int(off), int(cnt))
    f32 = lambda f: np.fromfile(d + "/" + f, dtype="<f4")
    params, grads, after = f32("params.bin"), f32("grads.bin"), f32("params_after.bin")
    x = torch.tensor(f32("x.bin").reshape(n, h, w, c)).permute(0, 3, 1, 2).double()
    labels = torch.tensor(np.fromfile(d + "/labels.bin", dtype=np.uint8).astype(np.int64))

    def tensor(name, shape):
        off, cnt = tensors[name]
        return torch.tensor(params[off:off + cnt].reshape(shape)).double()

    ordinals, modules = {}, []
    for kind, nums, opts, act, same in layers:
        ordinals[kind] = ordinals.get(kind, 0) + 1
        name = "%s%d" % (kind, ordinals[kind])
        modules.append((kind, name, nums, opts, act, same))

    # Leaf tensors in PyTorch's layouts, with gradients.
    leaves, bns = {}, {}
    cin = c
    for kind, name, nums, opts, act, same in modules:
        if kind == "conv":
            k = int(opts["k"])
            kern = tensor(name + ".kernel", (k, k, cin, int(nums[0]))).permute(3, 2, 0, 1)
            leaves[name + ".kernel"] = kern.contiguous().requires_grad_()
            leaves[name + ".bias"] = tensor(name + ".bias", (int(nums[0]),)).requires_grad_()
            cin = int(nums[0])
        elif kind == "dense":
            units = int(nums[0])
            kern = tensors[name + ".kernel"][1] // units
            leaves[name + ".kernel"] = tensor(name + ".kernel", (kern, units)).t() \
                .contiguous().requires_grad_()
            leaves[name + ".bias"] = tensor(name + ".bias", (units,)).requires_grad_()
        elif kind == "batchnorm":
            ch = tensors[name + ".gamma"][1]
            leaves[name + ".gamma"] = tensor(name + ".gamma", (ch,)).requires_grad_()
            leaves[name + ".beta"] = tensor(name + ".beta", (ch,)).requires_grad_()
            bns[name] = [tensor(name + ".moving_mean", (ch,)).clone(),
                         tensor(name + ".moving_variance", (ch,)).clone(),
                         1.0 - float(opts.get("momentum", 0.99)), float(opts.get("eps", 0.001))]

    def run(training):
        v = x
        for kind, name, nums, opts, act, same in modules:
            if kind == "conv":
                k = int(opts["k"])
                v = F.conv2d(v, leaves[name + ".kernel"], leaves[name + ".bias"],
                             padding=(k - 1) // 2 if same else 0)
            elif kind == "batchnorm":
                mean, var, mom, eps = bns[name]
                v = F.batch_norm(v, mean, var, leaves[name + ".gamma"], leaves[name + ".beta"],
                                 training=training, momentum=mom, eps=eps)
            elif kind == "pool":
                p = int(nums[0]) if nums else 2
                v = F.max_pool2d(v, p)
            elif kind == "flatten":
                v = v.permute(0, 2, 3, 1).reshape(v.shape[0], -1)     # HWC order
            elif kind == "dense":
                v = F.linear(v, leaves[name + ".kernel"], leaves[name + ".bias"])
            v = ACTS[act](v)
        return v

    worst = {}

    def compare(what, ours, ref, tol):
        ref = ref.detach().double().numpy().ravel()
        ours = np.asarray(ours, dtype=np.float64).ravel()
        err = np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-2)) if ref.size else 0.0
        worst[what] = (err, tol)

    logits = run(True)
    loss = F.cross_entropy(logits, labels, reduction="sum")
    loss.backward()
    compare("loss", [float(open(d + "/loss.txt").read())], loss, 1e-4)
    compare("probs (training)", f32("probs_train.bin"), torch.softmax(logits, 1), 1e-4)
    for name, leaf in leaves.items():
        off, cnt = tensors[name]
        g = leaf.grad
        if name.endswith(".kernel") and leaf.dim() == 4:
            g = g.permute(2, 3, 1, 0)                   # back to (KH, KW, Cin, Cout)
        elif name.endswith(".kernel"):
            g = g.t()
        compare("grad " + name, grads[off:off + cnt], g.contiguous(), 1e-3)
    for name, (mean, var, mom, eps) in bns.items():
        off, cnt = tensors[name + ".moving_mean"]
        compare(name + ".moving_mean", after[off:off + cnt], mean, 1e-5)
        off, cnt = tensors[name + ".moving_variance"]
        compare(name + ".moving_variance", after[off:off + cnt], var, 1e-5)
    with torch.no_grad():
        compare("probs (inference)", f32("probs_eval.bin"), torch.softmax(run(False), 1), 1e-4)
    bad = 0
    for what, (err, tol) in worst.items():
        ok = err <= tol
        bad += not ok
        print("  %-32s max relative error %.2e (tolerance %.0e)%s" % (what, err, tol,
                                                                      "" if ok else "  FAIL"))
    print("torch_reference: %s: %d of %d comparisons %s" % (spec, len(worst) - bad, len(worst),
                                                          "agree" if not bad else "agree: FAIL"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
