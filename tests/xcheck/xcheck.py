#!/usr/bin/python3
"""xcheck.py - cross-checks convc's generated code against PyTorch (float64).

    xcheck.py check --work DIR [--builds plain,vector,direct] [options] SPEC...
        For each spec and each build (plain loops, vector kernels, direct
        vector kernels): random parameters, a small batch of random images
        and labels; convc's forward and backward pass (tests/xcheck/
        xcheck_dump.c linked with the generated model.c) against the same
        network in PyTorch.  Compared: the probabilities, every layer's
        output, the summed loss and every gradient tensor; for a model with
        batch statistics also its training steps and the moving statistics
        after them.

    xcheck.py step --work DIR --run OPTIMIZER:STEPS[:LR]... [options] SPEC
        The real trainer (convc gen --trainer-main) trains STEPS batches from
        a checkpoint's weights on a small random IDX data set; PyTorch takes
        the same optimizer steps from the same weights on the same batches.
        Compared: the change of every parameter tensor and the optimizer's
        state arrays, as the trainer's checkpoint holds them.

The network is built from `convc ir SPEC`, the compiler's canonical text
(every default spelled out), with Keras semantics: HWC tensors, TensorFlow
'same' padding (the odd row/column at the bottom/right), pooling windows that
exclude the padding, HWC flatten order, kernels (KH, KW, Cin, Cout) and
dense weights (in, out).  Parameters are mapped by the tensor table of the
generated model (xcheck_dump table), never by guessing.  `check` compares a
model with dropout twice: in inference (the identity) and in training, with
convc's masks read off its dropout outputs (0 exactly where dropped); `step`
refuses a spec with dropout, whose masks there PyTorch cannot know.

Relative error of a tensor: max|convc - torch| / max(max|torch|, 1e-12); a
gradient, update or optimizer state is measured against the largest of its
layer (docs/testing.md says why).  `check` also runs PyTorch in float32: an
error above --tol passes where it is within FLOAT32_SLACK times PyTorch's own
float32 error on the same tensor (a batchnorm in training over nearly equal
values: its gradients are sums of large terms that cancel, and float32 cannot
compute them to 1e-5, whoever sums them).
Exit status: 0 every error within --tol, 1 a tolerance exceeded or a failed
build or run, 2 usage.
"""

import argparse
import math
import os
import re
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import ckpt_patch  # noqa: E402  (the checkpoint's field table)
from convc_ir import IrError, Model, dims  # noqa: E402  (`convc ir`, read)

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = 1e-12
FLOAT32_SLACK = 4.0     # two float32 computations in other orders: rounding
                        # errors of the same size, not the same values


class XcheckError(Exception):
    pass


class UnknownToCompiler(XcheckError):
    """A spec uses a word this cross-check maps but the compiler does not know."""


def rel_err(a, b, scale=0.0):
    """max|a - b| / max(max|b|, scale, TINY)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise XcheckError("shapes differ: %s and %s" % (a.shape, b.shape))
    if a.size == 0:
        return 0.0
    if not np.all(np.isfinite(a)):
        return math.inf
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), scale, TINY))


# ---- the canonical text ---------------------------------------------------

def read_model(convc, spec):
    """The model of `convc ir SPEC` (convc_ir.py); UnknownToCompiler when
    the compiler's only complaints are words this cross-check maps."""
    try:
        return Model(convc, spec)
    except IrError as e:
        errors = re.findall(r": error: (.*)", e.stderr)
        unknown = [re.match(r"unknown (?:statement|option) '(\w+)'", m) for m in errors]
        words = sorted({u.group(1) for u in unknown if u})
        missing = sorted(set(words) & SPEC_WORDS)
        if errors and all(unknown) and missing:
            raise UnknownToCompiler("the compiler has no %s" % ", ".join(missing)) from e
        raise XcheckError(str(e)) from e


# ---- one PyTorch function per layer kind ------------------------------------
# Each takes (layer, param, x[, y]): x is the layer's input, y the second
# input of a layer that reads two, each of shape (n, h, w, c).  It returns
# the layer's value before its activation and the activation's name (None
# when the kind has none).  param(suffix, shape) is the parameter tensor
# named <kind><ordinal>.<suffix> in the model's tensor table, in Keras' shape;
# param.training tells a layer with batch statistics which to use.

def tf_padding(size, k, s, mode):
    """TensorFlow's padding of one axis: (before, after)."""
    if mode == "valid":
        return 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def window_pads(layer, x, kh, kw, sh, sw):
    """The padding (top, left, bottom, right), as TensorFlow resolves
    'same' and 'valid', checked against the compiler's pad=."""
    mode = "same" if "same" in layer.words else "valid"
    top, bottom = tf_padding(x.shape[1], kh, sh, mode)
    left, right = tf_padding(x.shape[2], kw, sw, mode)
    pads = (top, left, bottom, right)
    if "pad" in layer.opts and pads != tuple(int(p) for p in layer.opts["pad"].split(",")):
        raise XcheckError("'%s': TensorFlow pads %s" % (layer.text, ",".join(map(str, pads))))
    return pads


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def conv(layer, param, x):
    kh, kw = dims(layer.opts["k"])
    sh, sw = dims(layer.opts["stride"])
    top, left, bottom, right = window_pads(layer, x, kh, kw, sh, sw)
    filters = int(layer.words[0])
    kernel = param("kernel", (kh, kw, x.shape[3], filters))
    bias = param("bias", (filters,))
    # contiguous: PyTorch's slow_conv2d backward refuses a permuted weight
    # ("grad_weight must be contiguous") for some shapes
    y = F.conv2d(F.pad(nchw(x), (left, right, top, bottom)),
                 kernel.permute(3, 2, 0, 1).contiguous(), bias, stride=(sh, sw))
    return nhwc(y), layer.words[-1]


def dwconv(layer, param, x):
    """Keras' DepthwiseConv2D: output channel c*M+m reads input channel c
    with kernel[:, :, c, m]."""
    kh, kw = dims(layer.opts["k"])
    sh, sw = dims(layer.opts["stride"])
    top, left, bottom, right = window_pads(layer, x, kh, kw, sh, sw)
    cin, mult = x.shape[3], int(layer.opts["mult"])
    kernel = param("kernel", (kh, kw, cin, mult))
    bias = param("bias", (cin * mult,))
    weight = kernel.permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw).contiguous()
    y = F.conv2d(F.pad(nchw(x), (left, right, top, bottom)), weight, bias, stride=(sh, sw),
                 groups=cin)
    return nhwc(y), layer.words[-1]


def pool(layer, param, x):
    op = layer.words[0]
    kh, kw = dims(layer.words[1])
    sh, sw = dims(layer.opts["stride"])
    top, left, bottom, right = window_pads(layer, x, kh, kw, sh, sw)
    pad = (left, right, top, bottom)
    if op == "max":
        y = F.max_pool2d(F.pad(nchw(x), pad, value=-math.inf), (kh, kw), (sh, sw))
    elif op == "avg":
        # The mean over the window's positions inside the image.
        total = F.avg_pool2d(F.pad(nchw(x), pad), (kh, kw), (sh, sw), divisor_override=1)
        ones = torch.ones((1, 1) + tuple(x.shape[1:3]), dtype=x.dtype)
        count = F.avg_pool2d(F.pad(ones, pad), (kh, kw), (sh, sw), divisor_override=1)
        y = total / count
    else:
        raise XcheckError("'%s': no PyTorch mapping for pool '%s'" % (layer.text, op))
    return nhwc(y), None


def flatten(layer, param, x):
    return x.reshape(x.shape[0], 1, 1, -1), None


def dense(layer, param, x):
    units = int(layer.words[0])
    flat = x.reshape(x.shape[0], -1)
    kernel = param("kernel", (flat.shape[1], units))
    bias = param("bias", (units,))
    return (flat @ kernel + bias).reshape(x.shape[0], 1, 1, units), layer.words[-1]


def dropout(layer, param, x):
    """The identity in inference; in training x times convc's own mask (from
    param.masks), whose kept values are scaled by 1 / (1 - rate)."""
    if param.masks is None:
        return x, None
    return x * param.masks[layer.index] / (1.0 - float(layer.words[0])), None


def batchnorm(layer, param, x):
    """Per channel (per unit of a vector): gamma (x - mean) / sqrt(var + eps)
    + beta, with the batch's mean and biased variance in training, which
    also moves the moving statistics towards the batch's (PyTorch's update,
    with the unbiased variance; PyTorch's momentum is 1 - Keras')."""
    c = x.shape[3]
    y = F.batch_norm(nchw(x), param("moving_mean", (c,)), param("moving_variance", (c,)),
                     param("gamma", (c,)), param("beta", (c,)), training=param.training,
                     momentum=1.0 - float(layer.opts["momentum"]), eps=float(layer.opts["eps"]))
    return nhwc(y), layer.words[0]


def add(layer, param, x, y):
    return x + y, layer.words[-1]


def concat(layer, param, x, y):
    return torch.cat([x, y], dim=3), None       # x's channels, then y's


LAYERS = {"conv": conv, "dwconv": dwconv, "pool": pool, "flatten": flatten, "dense": dense,
          "dropout": dropout, "batchnorm": batchnorm, "add": add, "concat": concat}

# softmax is the head's: the loss reads the logits (xcheck forward()).
ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu6": F.relu6,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.3),     # Keras' default slope
    "softmax": lambda z: torch.softmax(z, dim=3),
}


# The words of the spec language the cross-check handles: a spec whose only
# errors are unknown words, one of them among these, is skipped by `check`
# rather than failed (the compiler lacks a layer kind, activation or graph
# word the cross-check maps; the other unknown words are then that syntax's
# names and options).  'global' pooling needs no function of its own (its
# canonical text is the window written out), nor do 'as' and 'from' (the
# canonical text gives the layers each layer reads).
SPEC_WORDS = set(LAYERS) | set(ACTIVATIONS) | {"global", "as", "from"}


def forward(layers, params, x_in, labels, training=False, masks=None):
    """PyTorch's forward pass: (probabilities, [layer outputs], summed loss).
    params maps tensor names to leaf tensors (Keras shapes).  training:
    batch statistics (the model's training steps) rather than moving ones.
    masks: {dropout layer index: its keep mask (0 or 1)}, dropout in
    training; None: dropout is the identity."""
    used = set()

    def param_of(layer):
        def param(suffix, shape):
            name = layer.tensor(suffix)
            if name not in params:
                raise XcheckError("'%s': the model has no tensor %s" % (layer.text, name))
            if tuple(params[name].shape) != tuple(shape):
                raise XcheckError("'%s': tensor %s has shape %s, PyTorch expects %s"
                                  % (layer.text, name, tuple(params[name].shape), tuple(shape)))
            used.add(name)
            return params[name]
        param.training, param.masks = training, masks
        return param

    outs, scores = [], None
    for layer in layers:
        if layer.kind not in LAYERS:
            raise XcheckError("'%s': no PyTorch mapping for the layer kind '%s' (add one to "
                              "LAYERS in %s)" % (layer.text, layer.kind, __file__))
        z, act = LAYERS[layer.kind](layer, param_of(layer),
                                    *[x_in if i < 0 else outs[i] for i in layer.inputs])
        if act is not None and act not in ACTIVATIONS:
            raise XcheckError("'%s': no PyTorch mapping for the activation '%s'"
                              % (layer.text, act))
        x = ACTIVATIONS[act](z) if act else z
        scores = z if act == "softmax" else x
        if tuple(x.shape[1:]) != layer.out:
            raise XcheckError("'%s': PyTorch's output is %s, convc's %s"
                              % (layer.text, tuple(x.shape[1:]), layer.out))
        outs.append(x)
    unused = set(params) - used
    if unused:
        raise XcheckError("tensors no PyTorch layer uses: %s" % ", ".join(sorted(unused)))
    scores = scores.reshape(scores.shape[0], -1)
    # The summed categorical cross-entropy of the scores, as convc's head.
    loss = F.cross_entropy(scores, labels, reduction="sum")
    return probabilities(scores, x.reshape(x.shape[0], -1)), outs, loss


def probabilities(scores, out):
    """What forward() writes to probs (runtime/convc_model.h): the softmax
    of the scores, for a softmax head (its output) and a linear one (its
    logits) alike."""
    return torch.softmax(scores, dim=1)


# ---- the generated model's tensor table ----------------------------------

class Table:
    """xcheck_dump table.  tensors: (name, offset, count, shape), as
    read_checkpoint() gives them; init and trainable by name."""

    def __init__(self, text):
        self.tensors, self.layers = [], []
        self.init, self.trainable, self.train_steps = {}, {}, 0
        for line in text.splitlines():
            w = line.split()
            if w[0] == "model":
                self.name = w[1]
            elif w[0] == "spec_hash":
                self.spec_hash = int(w[1], 16)
            elif w[0] == "input":
                self.input = tuple(int(v) for v in w[1:])
            elif w[0] == "classes":
                self.classes = int(w[1])
            elif w[0] == "params":
                self.n_params = int(w[1])
            elif w[0] == "tensor":
                self.tensors.append((w[1], int(w[2]), int(w[3]), tuple(int(v) for v in w[6:])))
                self.init[w[1]], self.trainable[w[1]] = w[4], w[5] == "1"
            elif w[0] == "layer":
                self.layers.append((w[1], tuple(int(v) for v in w[2:])))
            elif w[0] == "train_steps":
                self.train_steps = int(w[1])


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
    return h


# ---- building and running convc's side -------------------------------------

# Each build: the options of `convc gen` and of the compiler.  The vector
# builds take the trainer's flags (MODEL_CFLAGS in the Makefile); 'direct'
# replaces the Winograd kernels by the direct vector kernels and is skipped
# for a model that has none.
VECTOR = ["-march=native", "-ffp-contract=fast"]
BUILDS = {
    "plain": ([], ["-DCONVC_NO_VECTOR"]),
    "vector": ([], VECTOR),
    "direct": (["--direct"], VECTOR),
}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise XcheckError("'%s' failed (status %d):\n%s%s"
                          % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


def generate(args, spec, name, gen_options):
    """The generated model's directory (generated once per work directory)."""
    d = os.path.join(args.work, name, "gen" + "".join(gen_options).replace("-", "_"))
    if not os.path.exists(os.path.join(d, "model.c")):
        os.makedirs(d, exist_ok=True)
        run([args.convc, "gen"] + gen_options + [spec, "-o", d])
    return d


def build_dump(args, spec, name, build):
    """xcheck_dump linked with the model (once per work directory): its path,
    or None when the build's code is the same as the vector build's."""
    gen_options, cflags = BUILDS[build]
    d = generate(args, spec, name, gen_options)
    if gen_options:
        with open(os.path.join(d, "model.c")) as a, \
                open(os.path.join(generate(args, spec, name, []), "model.c")) as b:
            if a.read() == b.read():
                return None
    exe = os.path.join(d, "dump_" + build)
    if not os.path.exists(exe):
        run([args.cc, "-std=c11", "-pedantic", "-Wall", "-Wextra", "-Werror", args.opt] + cflags
            + ["-Iruntime", "-I" + d, "-DMODEL=%s_model" % name, "-o", exe,
               os.path.join(HERE, "xcheck_dump.c"), os.path.join(d, "model.c"), "-lm"])
    return exe


def leaves_of(tensors, trainable, values):
    """name -> a float64 tensor of values[offset:offset+count] in its shape;
    trainable ones with gradients (moving statistics are not)."""
    return {name: torch.tensor(np.asarray(values[offset:offset + count], dtype=np.float64)
                               .reshape(shape), requires_grad=trainable[name])
            for name, offset, count, shape in tensors}


def check_spec(args, spec, build):
    """Returns [(what, relative error)] for one spec and build, or None
    when the build is the same as another."""
    model = read_model(args.convc, spec)
    name, in_shape, layers = model.name, model.input, model.layers
    exe = build_dump(args, spec, name, build)
    if exe is None:
        return None
    table = Table(run([exe, "table"]))
    if fnv1a64(model.canonical) != table.spec_hash:
        raise XcheckError("%s: the spec hash of `convc ir` and of the model differ" % spec)
    if table.input != in_shape or len(table.layers) != len(layers):
        raise XcheckError("%s: the model's input or layers differ from `convc ir`" % spec)

    rng = np.random.default_rng(args.seed)
    params = np.zeros(table.n_params, dtype=np.float32)
    for tname, offset, count, shape in table.tensors:
        # Scale ~ 1/sqrt(fan in) keeps every layer's values of order one, so
        # no activation saturates and no relu unit is dead by construction;
        # 'ones' (batchnorm's gamma and moving variance) stay near 1.
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 0
        scale = math.sqrt(3.0 / fan_in) if fan_in else 0.1
        base = 1.0 if table.init[tname] == "ones" else 0.0
        params[offset:offset + count] = base + rng.uniform(-scale, scale, count)
    x = rng.uniform(0.0, 1.0, (args.batch,) + in_shape).astype(np.float32)
    labels = rng.integers(0, table.classes, args.batch).astype(np.uint8)
    results = compare_pass(args, exe, "run", model, table, params, x, labels)
    if any(layer.kind == "dropout" for layer in model.layers):
        results += [("dropout: " + what, e, f) for what, e, f in
                    compare_pass(args, exe, "dropout", model, table, params, x, labels)]
    if table.train_steps:
        results += [("train: " + what, e, f) for what, e, f in
                    compare_pass(args, exe, "train", model, table, params, x, labels)]
    return results


def torch_pass(model, leaves, x, labels, training, masks, dtype):
    """PyTorch's forward and backward in dtype on copies of the float64
    leaves: (probabilities, [layer outputs], loss, {tensor name: gradient},
    {tensor name: its values after the pass}: the moving statistics move in
    training), as float64 numpy arrays."""
    own = {name: torch.tensor(t.detach().numpy(), dtype=dtype, requires_grad=t.requires_grad)
           for name, t in leaves.items()}
    own_masks = None if masks is None else {k: m.to(dtype) for k, m in masks.items()}
    probs, outs, loss = forward(model.layers, own, torch.tensor(x, dtype=dtype),
                                torch.tensor(labels, dtype=torch.int64), training, own_masks)
    loss.backward()
    grads = {name: np.zeros(t.shape) if t.grad is None else t.grad.double().numpy()
             for name, t in own.items()}
    after = {name: t.detach().double().numpy() for name, t in own.items()}
    return (probs.detach().double().numpy(), [o.detach().double().numpy() for o in outs],
            loss.item(), grads, after)


def compare_pass(args, exe, mode, model, table, params, x, labels):
    """One run of xcheck_dump MODE (run: forward and backward; dropout: the
    same with dropout as in training; train: the training steps) against
    PyTorch: [(what, relative error, PyTorch float32's relative error)]."""
    n = len(labels)
    d = os.path.dirname(exe)
    batch_path = os.path.join(d, "batch.bin")
    out_path = os.path.join(d, "out_%s_%s.bin" % (os.path.basename(exe), mode))
    with open(batch_path, "wb") as f:
        f.write(struct.pack("<I", n) + params.tobytes() + x.tobytes() + labels.tobytes())
    run([exe, mode, batch_path, out_path])
    raw = open(out_path, "rb").read()

    def take(count, dtype):
        nonlocal raw
        size = count * np.dtype(dtype).itemsize
        if len(raw) < size:
            raise XcheckError("%s is too short" % out_path)
        a, raw = np.frombuffer(raw[:size], dtype=dtype), raw[size:]
        return a

    c_probs = take(n * table.classes, "<f4")
    c_outs = [take(n * int(np.prod(shape)), "<f4") for _, shape in table.layers]
    c_loss = take(1, "<f8")[0]
    c_grads = take(table.n_params, "<f4")
    c_after = take(table.n_params, "<f4") if mode == "train" else None
    if raw:
        raise XcheckError("%s is too long" % out_path)

    leaves = leaves_of(table.tensors, table.trainable, params)
    masks = None
    if mode == "dropout":
        # A dropout output is 0 exactly where the value was dropped (or was
        # 0 already, where the mask changes nothing: the layer before has a
        # zero derivative there, relu, or it is a measure-zero accident).
        masks = {layer.index: torch.tensor((c_outs[layer.index] != 0)
                                           .reshape((n,) + layer.out), dtype=torch.float64)
                 for layer in model.layers if layer.kind == "dropout"}
    probs, outs, loss, grads, after = torch_pass(model, leaves, x, labels, mode == "train",
                                                 masks, torch.float64)
    p32, outs32, loss32, grads32, after32 = torch_pass(model, leaves, x, labels,
                                                       mode == "train", masks, torch.float32)
    results = [("probs", rel_err(c_probs, probs), rel_err(p32, probs))]
    for layer, c_out, out, out32 in zip(model.layers, c_outs, outs, outs32):
        results.append(("%s%d out" % (layer.kind, layer.ordinal), rel_err(c_out, out),
                        rel_err(out32, out)))
    results.append(("loss", rel_err([c_loss], [loss]), rel_err([loss32], [loss])))
    # A gradient is measured against the largest gradient of its layer: a
    # bias in front of a batchnorm has a gradient that is 0 up to rounding
    # (the normalisation removes any shift), computed in float32 as a sum of
    # hundreds of terms of the size of the layer's other gradients.
    scale = {}
    for tname in grads:
        layer = tname.split(".")[0]
        scale[layer] = max(scale.get(layer, 0.0), float(np.max(np.abs(grads[tname]))))
    for tname, offset, count, _ in table.tensors:
        layer_scale = scale[tname.split(".")[0]]
        results.append(("d " + tname,
                        rel_err(c_grads[offset:offset + count], grads[tname], layer_scale),
                        rel_err(grads32[tname], grads[tname], layer_scale)))
        if c_after is not None and not table.trainable[tname]:
            # moving statistics, moved in place by the training pass
            results.append((tname + " after", rel_err(c_after[offset:offset + count],
                                                      after[tname]),
                            rel_err(after32[tname], after[tname])))
    return results


def allowed(tol, float32_err):
    """The largest error a tensor may have: the tolerance, or FLOAT32_SLACK
    times PyTorch's own float32 error on it, whichever is larger."""
    return max(tol, FLOAT32_SLACK * float32_err)


def cmd_check(args):
    failed = skipped = slack = 0
    worst_all = 0.0
    print("%-28s %-7s %10s %10s %10s %10s  %s" % ("spec", "build", "probs", "layers", "loss",
                                                   "grads", "worst"))
    for spec in args.specs:
        for build in args.builds.split(","):
            try:
                res = check_spec(args, spec, build)
            except UnknownToCompiler as e:
                print("%-28s %-7s skipped: %s" % (spec, build, e))
                skipped += 1
                continue
            except XcheckError as e:
                print("%-28s %-7s FAIL: %s" % (spec, build, e))
                failed += 1
                continue
            if res is None:
                print("%-28s %-7s %s" % (spec, build, "(the same code as the vector build)"))
                continue
            cols = [max([e for w, e, _ in res if w == "probs"]),
                    max([e for w, e, _ in res if w.endswith(" out")]),
                    max([e for w, e, _ in res if w == "loss"]),
                    max([e for w, e, _ in res if w.startswith("d ")] or [0.0])]
            what, worst, _ = max(res, key=lambda r: r[1] / allowed(args.tol, r[2]))
            over = [(w, e, f) for w, e, f in res if e > allowed(args.tol, f)]
            worst_all = max(worst_all, worst)
            print("%-28s %-7s %10.2e %10.2e %10.2e %10.2e  %s%s"
                  % (spec, build, *cols, what, "  FAIL" if over else ""))
            for w, e, f in res:
                if args.tol < e <= allowed(args.tol, f):
                    slack += 1
                    print("    %-24s %.3e: PyTorch in float32 misses by %.3e (allowed %.0fx)"
                          % (w, e, f, FLOAT32_SLACK))
            if over:
                failed += 1
                for w, e, f in over:
                    print("    %-24s %.3e > %.0e%s" % (w, e, allowed(args.tol, f),
                                                     " (PyTorch in float32: %.3e)" % f
                                                     if f * FLOAT32_SLACK > args.tol else ""))
    print("xcheck: worst relative error %.2e (tolerance %.0e%s): %s%s"
          % (worst_all, args.tol,
             "; %d tensor%s within %gx PyTorch's own float32 error above it"
             % (slack, "s" if slack > 1 else "", FLOAT32_SLACK) if slack else "",
             "ok" if not failed else "%d FAILED" % failed,
             ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


# ---- one optimizer step through the trainer ------------------------------

def read_checkpoint(path):
    """(tensor table, settings dict, params, [state arrays]) of a checkpoint
    (docs/checkpoint-format.md)."""
    b = open(path, "rb").read()
    n_params, tensors, at = ckpt_patch.layout(b)
    settings, at = ckpt_patch.read_fields(b, at)
    arrays = []
    for _ in range(1 + settings["n_state"]):
        arrays.append(np.frombuffer(b, dtype="<f4", count=n_params, offset=at).astype(np.float64))
        at += 4 * n_params
    return tensors, settings, arrays[0], arrays[1:]


def adam_hook(opt, s, step):
    # Keras adds epsilon to sqrt(v) before the bias correction, PyTorch after:
    # PyTorch's eps / sqrt(1 - beta2^t) is Keras' eps.
    for group in opt.param_groups:
        group["eps"] = s["epsilon"] / math.sqrt(1.0 - s["beta2"] ** step)


def adam_state(opt, p, s):
    st = opt.state[p]
    return [st["exp_avg"], st["exp_avg_sq"]]


def velocity(opt, p, s):
    # Keras' velocity v = mu v - lr g is PyTorch's buffer times -lr.
    return [-s["lr"] * opt.state[p]["momentum_buffer"]]


def param_groups(leaves, s):
    """The trained tensors in PyTorch's parameter groups, with the
    checkpoint's weight decay (L2, decoupled for adamw) on the kernels (rank
    2 and more), or on every tensor with decay_all.  A checkpoint without
    these fields has no weight decay."""
    wd, every = s.get("weight_decay", 0.0), s.get("decay_all", 0)
    trained = [p for p in leaves.values() if p.requires_grad]
    decayed = [p for p in trained if every or p.dim() >= 2]
    rest = [p for p in trained if not (every or p.dim() >= 2)]
    return [g for g in ({"params": decayed, "weight_decay": wd},
                        {"params": rest, "weight_decay": 0.0}) if g["params"]]


# Each optimizer: PyTorch's optimizer from the parameter groups and the
# checkpoint's settings, a hook before each step (or None), and its state
# arrays in the checkpoint's order.
OPTIMIZERS = {
    "sgd": (lambda gs, s: torch.optim.SGD(gs, lr=s["lr"]), None, lambda o, p, s: []),
    "momentum": (lambda gs, s: torch.optim.SGD(gs, lr=s["lr"], momentum=s["momentum"]),
                 None, velocity),
    "nesterov": (lambda gs, s: torch.optim.SGD(gs, lr=s["lr"], momentum=s["momentum"],
                                               nesterov=True), None, velocity),
    "adam": (lambda gs, s: torch.optim.Adam(gs, lr=s["lr"], betas=(s["beta1"], s["beta2"])),
             adam_hook, adam_state),
    # PyTorch's own: epsilon after the bias correction, decoupled decay.
    "adamw": (lambda gs, s: torch.optim.AdamW(gs, lr=s["lr"], betas=(s["beta1"], s["beta2"]),
                                              eps=s["epsilon"]), None, adam_state),
}


def write_idx(path, array):
    """An IDX file of unsigned bytes (docs/trainer.md)."""
    with open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 0x08, array.ndim))
        f.write(struct.pack(">%dI" % array.ndim, *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def makefile_value(name):
    """A variable of the Makefile (run from the top of the tree), e.g. LIBS."""
    r = subprocess.run(["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-",
                        "xcheck-print"], input="xcheck-print:\n\t@echo $(%s)\n" % name,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise XcheckError("cannot read %s from the Makefile:\n%s" % (name, r.stderr))
    return r.stdout.strip()


def build_trainer(args, spec, name):
    d = os.path.join(args.work, name + "_trainer")
    exe = os.path.join(d, "train")
    if not os.path.exists(exe):
        os.makedirs(d, exist_ok=True)
        run([args.convc, "gen", "--trainer-main", spec, "-o", d])
        cflags = args.model_cflags or makefile_value("MODEL_CFLAGS")
        libs = args.libs or makefile_value("LIBS")
        run([args.cc] + cflags.split() + ["-Iruntime", "-I" + d, "-o", exe,
                                          os.path.join(d, "model.c"), os.path.join(d, "main.c"),
                                          args.libconvc] + libs.split())
    return exe, d


def parse_run(text):
    """--run OPTIMIZER:STEPS[:LR] -> (name, steps, lr or None)."""
    parts = text.split(":")
    if parts[0] not in OPTIMIZERS:
        raise argparse.ArgumentTypeError("no PyTorch mapping for the optimizer '%s' (%s)"
                                         % (parts[0], ", ".join(OPTIMIZERS)))
    try:
        if len(parts) not in (2, 3) or int(parts[1]) < 1:
            raise ValueError
        lr = float(parts[2]) if len(parts) == 3 else None
        if lr is not None and not lr > 0:
            raise ValueError
        return parts[0], int(parts[1]), lr
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not OPTIMIZER:STEPS[:LR] with STEPS >= 1 "
                                         "and LR > 0" % text)


def cmd_step(args):
    spec = args.specs[0]
    model = read_model(args.convc, spec)
    name, in_shape, layers = model.name, model.input, model.layers
    if any(layer.kind == "dropout" for layer in layers):
        raise XcheckError("%s: dropout masks in training are convc's own; "
                          "step needs a spec without dropout" % spec)
    exe, d = build_trainer(args, spec, name)
    classes = layers[-1].out[2]
    rng = np.random.default_rng(args.seed)
    n = max(steps for _, steps, _ in args.run) * args.batch
    data = os.path.join(d, "data")
    os.makedirs(data, exist_ok=True)
    shape = in_shape if in_shape[2] > 1 else in_shape[:2]
    images = rng.integers(0, 256, (n,) + shape)
    labels = rng.integers(0, classes, n)
    for part in ("train", "t10k"):
        write_idx(os.path.join(data, part + "-images-idx3-ubyte"), images)
        write_idx(os.path.join(data, part + "-labels-idx1-ubyte"), labels)
    # The trainer scales pixels in float32.
    x_all = torch.tensor((images.astype(np.float32) / np.float32(255.0)).reshape((n,) + in_shape),
                         dtype=torch.float64)
    y_all = torch.tensor(labels, dtype=torch.int64)
    common = ["--data", data, "--limit-train", str(n), "--limit-test", str(args.batch),
              "--batch", str(args.batch), "--no-shuffle", "--threads", "1", "--quiet",
              "--seed", str(args.seed)]
    start = os.path.join(d, "start.ckpt")
    # The trainer's initial weights, moved by one SGD step: no tensor is 0.
    run([exe] + common + ["--optimizer", "sgd", "--steps", "1", "--save", start])
    tensors, _, p0, _ = read_checkpoint(start)
    table = Table(run([build_dump(args, spec, name, "plain"), "table"]))
    if table.tensors != tensors:
        raise XcheckError("%s: the checkpoint's tensors are not the model's" % start)

    print("%-28s %-9s %5s %-20s %10s %10s" % ("spec", "optimizer", "steps", "tensor", "update",
                                              "state"))
    failed = 0
    usage = run([exe, "--help"])
    for optimizer, steps, lr in args.run:
        if not re.search(r"\b%s\b" % optimizer, usage):
            # as `check` skips a spec: the cross-check maps more than this trainer has
            print("xcheck: %s skipped: the trainer has no such optimizer" % optimizer)
            continue
        after = os.path.join(d, "after_%s_%d.ckpt" % (optimizer, steps))
        run([exe] + common + ["--init-from", start, "--optimizer", optimizer, "--steps",
                              str(steps), "--save", after] + (["--lr", repr(lr)] if lr else []))
        tensors1, s, p1, c_state = read_checkpoint(after)
        if tensors1 != tensors or s["step"] != steps:
            raise XcheckError("%s: %s did not take %d steps" % (spec, after, steps))
        make, hook, state_of = OPTIMIZERS[optimizer]
        leaves = leaves_of(tensors, table.trainable, p0)
        opt = make(param_groups(leaves, s), s)
        for step in range(1, steps + 1):
            batch = slice((step - 1) * args.batch, step * args.batch)
            opt.zero_grad()
            _, _, loss = forward(layers, leaves, x_all[batch], y_all[batch], training=True)
            (loss / args.batch).backward()      # the trainer's loss: the batch mean
            if hook:
                hook(opt, s, step)
            opt.step()
        t_states, t_updates = {}, {}
        for tname, offset, count, _ in tensors:
            p = leaves[tname]
            t_states[tname] = [a.detach().numpy().ravel() for a in state_of(opt, p, s)] \
                if p.requires_grad else [np.zeros(count)] * len(c_state)
            if len(t_states[tname]) != len(c_state):
                raise XcheckError("%s keeps %d state arrays, PyTorch's %d"
                                  % (optimizer, len(c_state), len(t_states[tname])))
            t_updates[tname] = p.detach().numpy().ravel() - p0[offset:offset + count]
        # As for gradients (compare_pass), the trained tensors of a layer are
        # measured against the layer's largest update and state.
        trained = [t for t in t_states if table.trainable[t]]
        update_scale = layer_scale({t: t_updates[t] for t in trained})
        state_scales = [layer_scale({t: t_states[t][k] for t in trained})
                        for k in range(len(c_state))]
        worst = 0.0
        for tname, offset, count, _ in tensors:
            sl = slice(offset, offset + count)
            layer = tname.split(".")[0] if table.trainable[tname] else None
            t_state = t_states[tname]
            state_err = max([rel_err(c[sl], t, sc.get(layer, 0.0))
                             for c, t, sc in zip(c_state, t_state, state_scales)] or [0.0])
            keep = well_conditioned(optimizer, s, t_state, count, args.tol,
                                    state_scales[1].get(layer, 0.0) if len(c_state) > 1 else 0.0)
            update_err = update_error(p1[sl] - p0[sl], t_updates[tname], p0[sl], p1[sl], steps,
                                      keep, update_scale.get(layer, 0.0))
            err = max(state_err, update_err)
            worst = max(worst, err)
            print("%-28s %-9s %5d %-20s %10.2e %10s%s"
                  % (spec, optimizer, steps, tname, update_err,
                     "%.2e" % state_err if t_state else "-",
                     "" if err <= args.tol else "  FAIL"))
        failed += worst > args.tol
        print("xcheck: %s, %d step%s, lr %g: worst relative error %.2e (tolerance %.0e): %s"
              % (optimizer, steps, "s" if steps > 1 else "", s["lr"], worst, args.tol,
                 "ok" if worst <= args.tol else "FAILED"))
    return 1 if failed else 0


def layer_scale(arrays):
    """{layer: the largest magnitude in its tensors' arrays} for {tensor name:
    array}."""
    scale = {}
    for tname, a in arrays.items():
        layer = tname.split(".")[0]
        scale[layer] = max(scale.get(layer, 0.0), float(np.max(np.abs(a))) if a.size else 0.0)
    return scale


def update_error(c_update, t_update, p0, p1, steps, keep, scale=0.0):
    """The relative error of convc's parameter change.  The trainer stores
    float32 parameters, rounded once a step: up to half a float32 spacing of
    the parameter per step is rounding, not error, and is taken off each
    difference first (it would dominate where the change is small next to
    the parameter)."""
    if not keep.any():
        return 0.0
    spacing = np.spacing(np.maximum(np.abs(p0), np.abs(p1)).astype(np.float32))
    diff = np.maximum(np.abs(c_update - t_update) - 0.5 * steps * spacing, 0.0)
    return float(np.max(diff[keep]) / max(float(np.max(np.abs(t_update[keep]))), scale, TINY))


def well_conditioned(optimizer, s, state, count, tol, v_scale=0.0):
    """The parameters whose update PyTorch and convc can agree on to `tol`.
    Adam's update m / (sqrt(v) + eps) changes by eps * dg / (|g| + eps)^2
    for a change dg of the gradient: where |g| is near eps, float32's
    rounding of the gradient (allowed up to tol * max|g| of the layer, whose
    v is at most v_scale) moves the update by more than tol times the
    largest update.  Those parameters are checked through m and v, which are
    compared everywhere."""
    if optimizer != "adam":
        return np.ones(count, dtype=bool)
    bias2 = 1.0 - s["beta2"] ** s["step"]
    g = np.sqrt(state[1] / bias2)
    top = max(float(np.max(g)), math.sqrt(v_scale / bias2))
    bound = s["epsilon"] * tol * top / (g + s["epsilon"]) ** 2
    return bound <= tol


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("check", "step"))
    ap.add_argument("specs", nargs="+", metavar="SPEC")
    ap.add_argument("--convc", default="bin/convc")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--opt", default="-Og", help="check: the optimisation flag (-Og: the "
                    "arithmetic of -O1, compiled faster; -O2 and above fuse multiply-adds)")
    ap.add_argument("--model-cflags", help="step: the trainer's flags (default: the "
                    "Makefile's MODEL_CFLAGS)")
    ap.add_argument("--work", required=True, help="directory for builds (reused) and files")
    ap.add_argument("--builds", default="plain,vector", help="check: " + ", ".join(BUILDS))
    ap.add_argument("--batch", type=int, default=13, help="images per batch (13: the "
                    "layer functions for groups of 8 samples, of 4 and for one)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--run", type=parse_run, action="append", metavar="OPTIMIZER:STEPS[:LR]",
                    help="step: an optimizer (%s), its steps and learning rate (default: "
                    "the trainer's); repeatable" % ", ".join(OPTIMIZERS))
    ap.add_argument("--libconvc", default="build/libconvc.a")
    ap.add_argument("--libs", help="step: the trainer's libraries (default: the Makefile's "
                    "LIBS)")
    args = ap.parse_args()
    if args.batch < 1:
        ap.error("--batch must be at least 1")
    for build in args.builds.split(","):
        if build not in BUILDS:
            ap.error("--builds: no build '%s' (%s)" % (build, ", ".join(BUILDS)))
    if args.command == "step" and (len(args.specs) != 1 or not args.run):
        ap.error("step takes one SPEC and at least one --run")
    torch.set_num_threads(1)
    try:
        return cmd_check(args) if args.command == "check" else cmd_step(args)
    except XcheckError as e:
        print("xcheck: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
