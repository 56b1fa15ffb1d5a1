#!/usr/bin/python3
"""torch_ref.py - the PyTorch side of `make bench`: the same models, read from
the same spec files, trained and run the same way, timed the same way.

    /usr/bin/python3 bench/torch_ref.py [--seconds S] SPEC...

Prints CSV on stdout, one measurement a line, the same columns as bench.c:

    impl,model,metric,config,value,note
    torch,cnn_k3,train_ips,b32_t2,1950.2,OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 channels_last

PyTorch is compared in its fastest configuration: every measurement is taken
in a fresh process per setting of OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
OMP_WAIT_POLICY (see settings()), because these only take effect if set
before torch is imported, in NCHW and (for convolutional models)
channels-last memory format, and the best result over the settings is
reported (the note names the winner).

Conventions shared with bench.c: synthetic inputs uniform in [0,1) and random
labels (timing does not depend on the data); Glorot-uniform kernels and zero
biases; Adam with Keras' defaults (lr 1e-3, betas 0.9/0.999, eps 1e-7);
softmax + cross-entropy fused as the loss on the logits.
"""

import argparse
import json
import os
import subprocess
import sys
import time

THREADS = (1, 2)
TRAIN_BATCHES = (32, 128)
THROUGHPUT_BATCH = 1000


# ---- the model ---------------------------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "xcheck"))
from convc_ir import IrError, Model, dims  # noqa: E402  (the reader the cross-check uses)

CONVC = os.environ.get("CONVC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                 "bin", "convc")


class SpecError(Exception):
    pass


def read_spec(path):
    """The model as the compiler reads it (`convc ir`, the cross-check's
    reader): every default spelled out, padding resolved."""
    try:
        return Model(CONVC, path)
    except (IrError, OSError) as e:
        raise SpecError(str(e)) from e


def _activation(nn, name, last, where):
    """The module of an activation (None: none; a final softmax is fused
    into the cross-entropy loss)."""
    if name == "linear" or (name == "softmax" and last):
        return None
    table = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu6": nn.ReLU6,
             "leaky_relu": lambda: nn.LeakyReLU(0.3),        # Keras' default slope
             "softmax": lambda: nn.Softmax(dim=1)}
    if name not in table:
        raise SpecError("%s: no PyTorch module for the activation '%s'" % (where, name))
    return table[name]()


def _window(nn, L, c, make):
    """A conv-like module over L's window with the compiler's padding:
    make(k, stride, padding) built on a symmetric padding, a zero border
    before it where the padding is not symmetric."""
    k, stride = dims(L.opts["k"]), dims(L.opts["stride"])
    top, left, bottom, right = L.pads()
    if top == bottom and left == right:
        return [make(k, stride, (top, left))]
    return [nn.ZeroPad2d((left, right, top, bottom)), make(k, stride, 0)]


def _pool(nn, L):
    """Max or average pooling over the window inside the image; TensorFlow's
    extra bottom/right padding as a ceil-mode window."""
    op, k, stride = L.words[0], dims(L.words[1]), dims(L.opts["stride"])
    top, left, bottom, right = L.pads()
    extra = bottom > top or right > left
    if op == "max":
        return nn.MaxPool2d(k, stride, (top, left), ceil_mode=extra)
    return nn.AvgPool2d(k, stride, (top, left), ceil_mode=extra, count_include_pad=False)


def build_model(torch, model):
    """The model (a convc_ir.Model) as one module on NCHW images: each layer
    a small nn.Sequential run on the outputs it reads (the compiler's graph),
    add and concat joining two.  Returns it and the number of classes."""
    nn = torch.nn
    shapes, steps, inputs = [], [], []
    for L in model.layers:
        last = L.index == len(model.layers) - 1
        h, w, c = shapes[L.inputs[0]] if L.inputs[0] >= 0 else model.input
        where = "'%s'" % L.text
        mods, act = [], "linear"
        if L.kind == "conv":
            filters = int(L.words[0])
            mods += _window(nn, L, c, lambda k, s, p: nn.Conv2d(c, filters, k, s, p))
            act = L.words[-1]
        elif L.kind == "dwconv":
            out = c * int(L.opts["mult"])
            mods += _window(nn, L, c, lambda k, s, p: nn.Conv2d(c, out, k, s, p, groups=c))
            act = L.words[-1]
        elif L.kind == "pool":
            mods.append(_pool(nn, L))
        elif L.kind == "flatten":
            mods.append(nn.Flatten())
        elif L.kind == "dense":
            if h * w != 1:
                mods.append(nn.Flatten())
            mods.append(nn.Linear(h * w * c, int(L.words[0])))
            act = L.words[-1]
        elif L.kind == "dropout":
            mods.append(nn.Dropout(float(L.words[0])))
        elif L.kind == "batchnorm":
            # PyTorch's momentum is the weight of the new statistics.
            bn = nn.BatchNorm1d if h * w == 1 else nn.BatchNorm2d
            mods.append(bn(c, eps=float(L.opts["eps"]),
                           momentum=1.0 - float(L.opts["momentum"])))
            act = L.words[0]
        elif L.kind == "add":
            act = L.words[-1]
        elif L.kind != "concat":
            raise SpecError("%s: no PyTorch module for the layer kind '%s'" % (where, L.kind))
        module = _activation(nn, act, last, where)
        if module is not None:
            mods.append(module)
        shapes.append(L.out)
        steps.append(nn.Sequential(*mods))
        inputs.append((L.inputs, L.kind))

    class Graph(nn.Module):
        def __init__(self):
            super().__init__()
            self.steps = nn.ModuleList(steps)

        def forward(self, x, every_output=False):
            outs = []
            for step, (reads, kind) in zip(self.steps, inputs):
                ys = [outs[i] if i >= 0 else x for i in reads]
                if kind == "add":
                    y = ys[0] + ys[1]
                elif kind == "concat":
                    y = torch.cat(ys, dim=1)
                else:
                    y = ys[0]
                outs.append(step(y))
            return outs if every_output else outs[-1]

    net = Graph()
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)   # same fans as Keras
            nn.init.zeros_(m.bias)
    h, w, c = model.input
    with torch.no_grad():                       # the compiler's shapes, or a clear error
        net.eval()
        outs = net(torch.zeros(1, c, h, w), every_output=True)
        net.train()
    for L, y in zip(model.layers, outs):
        if y.numel() != L.out[0] * L.out[1] * L.out[2]:
            raise SpecError("'%s': PyTorch's output has %d values, convc's is %s"
                            % (L.text, y.numel(), "x".join(map(str, L.out))))
    return net, model.layers[-1].out[2]


# ---- measurements (run in a child process per environment setting) --------

def best_rate(fn, items, seconds, warmup=3, max_windows=5):
    """Items per second of fn(), which handles `items` per call: the best of
    up to `max_windows` windows filling about `seconds` after a warm-up (the
    window least disturbed by other processes; bench.c measures the same
    way).  A call longer than a window makes a window of its own."""
    for _ in range(warmup):     # allocator, oneDNN primitive caches
        fn()
    t0 = time.perf_counter()
    fn()
    call = time.perf_counter() - t0
    windows = max(1, min(max_windows, int(seconds / call)))
    best = items / call
    for _ in range(windows):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds / windows:
                break
        best = max(best, n * items / elapsed)
    return best


def measure(specs, threads, seconds):
    """[(model, metric, config, value, memory format)] for every spec, in
    NCHW and, for models with convolutions, channels-last (oneDNN's faster
    layout for most of these convolutions)."""
    import torch
    torch.set_num_threads(threads)
    out = []
    for path in specs:
        model = read_spec(path)
        formats = ["nchw"]
        if any(L.kind in ("conv", "dwconv") for L in model.layers):
            formats.append("channels_last")
        for fmt in formats:
            out += [(model.name, metric, config, value, fmt) for metric, config, value in
                    measure_model(torch, model, threads, seconds, fmt)]
    return out


def measure_model(torch, spec_model, threads, seconds, fmt):
    torch.manual_seed(1)
    model, n_classes = build_model(torch, spec_model)
    h, w, c = spec_model.input
    layout = torch.contiguous_format
    if fmt == "channels_last":
        layout = torch.channels_last
        model = model.to(memory_format=layout)

    def images(n):
        return torch.rand(n, c, h, w).contiguous(memory_format=layout)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    out = []

    model.train()
    for b in TRAIN_BATCHES:
        xs = [images(b) for _ in range(4)]
        ys = [torch.randint(0, n_classes, (b,)) for _ in range(4)]
        step_no = [0]

        def step():
            i = step_no[0] % 4
            step_no[0] += 1
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[i]), ys[i])
            loss.backward()
            opt.step()
        out.append(("train_ips", "b%d_t%d" % (b, threads), best_rate(step, b, seconds)))

    model.eval()
    with torch.no_grad():
        x1 = images(1)
        samples = []
        for _ in range(20):
            model(x1)
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end or len(samples) < 50:
            t0 = time.perf_counter()
            model(x1)
            samples.append(time.perf_counter() - t0)
        samples.sort()
        out.append(("latency_us", "n1_t%d" % threads, samples[len(samples) // 2] * 1e6))

        xb = images(THROUGHPUT_BATCH)
        out.append(("throughput_ips", "b%d_t%d" % (THROUGHPUT_BATCH, threads),
                    best_rate(lambda: model(xb), THROUGHPUT_BATCH, seconds, warmup=1)))
    return out


# ---- the parent: one child per setting, keep the best ----------------------

LOWER_IS_BETTER = {"latency_us"}


def settings():
    """The environments to try: (threads, {variable: value}); a variable
    missing from the dictionary is left to the library's default.  With 2
    threads, BLAS threads on top of torch's oversubscribe the cores, and
    OpenMP's default spin-waiting collapses when another process holds a
    core, where passive waiting holds up: try both."""
    yield 1, {"OPENBLAS_NUM_THREADS": "1"}
    yield 1, {}
    yield 2, {"OPENBLAS_NUM_THREADS": "1"}
    yield 2, {"OPENBLAS_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    yield 2, {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="time per measurement (default 1.0)")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("specs", nargs="+")
    a = ap.parse_args()

    if a.child:
        json.dump(measure(a.specs, a.child, a.seconds), sys.stdout)
        return 0

    for path in a.specs:          # fail early, with the file name, on a bad spec
        read_spec(path)
    best = {}
    for threads, variables in settings():
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        for name in ("OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY"):
            env.pop(name, None)
        env.update(variables)
        note = " ".join(["OMP_NUM_THREADS=%d" % threads] +
                        ["%s=%s" % kv for kv in sorted(variables.items())])
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(threads),
               "--seconds", str(a.seconds)] + a.specs
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=False)
        if r.returncode != 0:
            print("torch_ref: measurement failed with %s" % note, file=sys.stderr)
            return 1
        for name, metric, config, value, fmt in json.loads(r.stdout):
            key = (name, metric, config)
            old = best.get(key)
            better = (old is None or
                      (value < old[0] if metric in LOWER_IS_BETTER else value > old[0]))
            if better:
                best[key] = (value, note + " " + fmt)
        print("torch_ref: done with %s" % note, file=sys.stderr)

    # One-image latency: the best over thread counts too (fastest setting).
    for (name, metric, config), (value, note) in list(best.items()):
        if metric == "latency_us":
            key = (name, metric, "n1")
            if key not in best or value < best[key][0]:
                best[key] = (value, note)

    print("impl,model,metric,config,value,note")
    for (name, metric, config), (value, note) in best.items():
        print("torch,%s,%s,%s,%.6g,%s" % (name, metric, config, value, note))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SpecError as e:
        print("torch_ref: %s" % e, file=sys.stderr)
        sys.exit(1)
