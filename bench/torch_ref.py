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


# ---- the spec language subset ---------------------------------------------

class SpecError(Exception):
    pass


def parse_spec(path):
    """Returns (name, (h, w, c), [layer dict]) for the statements model,
    input, conv, pool, flatten, dense, dropout, batchnorm, add and concat, with the
    graph's 'as NAME' and 'from NAME' (a layer dict's "as", "from" and, for
    add and concat, "ref")."""
    name = os.path.splitext(os.path.basename(path))[0]
    shape, layers = None, []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for lineno, line in enumerate(text.splitlines(), 1):
        for stmt in line.split("#", 1)[0].split(";"):
            words = stmt.split()
            if not words:
                continue
            where = "%s:%d" % (path, lineno)
            kw, args, graph = words[0], [], {}
            rest = iter(words[1:])
            for word in rest:
                if word in ("as", "from") and kw not in ("model", "input"):
                    graph[word] = next(rest)
                else:
                    args.append(word)
            if kw in ("add", "concat"):
                graph["ref"] = args.pop(0)
            if kw in ("conv", "pool", "flatten", "dense", "dropout", "batchnorm", "add", "concat"):
                layers.append(graph)    # filled in below
            if kw == "model":
                name = args[0]
            elif kw == "input":
                dims = [int(d) for d in args[0].lower().split("x")]
                shape = tuple(dims + [1] * (3 - len(dims)))
            elif kw == "conv":
                layer = {"kind": "conv", "filters": int(args[0]), "k": (1, 1),
                         "stride": (1, 1), "padding": "valid", "act": "linear"}
                _options(layer, args[1:], where)
                layers[-1].update(layer)
            elif kw == "pool":
                layer = {"kind": "pool", "op": "max", "padding": "valid"}
                rest = args
                if rest and rest[0] in ("max", "avg"):
                    layer["op"], rest = rest[0], rest[1:]
                layer["k"] = _pair(rest[0])
                layer["stride"] = layer["k"]
                _options(layer, rest[1:], where)
                layers[-1].update(layer)
            elif kw == "flatten":
                layers[-1].update({"kind": "flatten"})
            elif kw == "dense":
                layer = {"kind": "dense", "units": int(args[0]), "act": "linear"}
                _options(layer, args[1:], where)
                layers[-1].update(layer)
            elif kw == "dropout":
                layers[-1].update({"kind": "dropout", "rate": float(args[0])})
            elif kw in ("add", "concat"):
                layer = {"kind": kw, "act": "linear"}
                _options(layer, args, where)
                layers[-1].update(layer)
            elif kw == "batchnorm":
                layer = {"kind": "batchnorm", "act": "linear", "momentum": 0.99, "eps": 0.001}
                _options(layer, args, where)
                layers[-1].update(layer)
            else:
                raise SpecError("%s: unknown statement '%s'" % (where, kw))
    if shape is None:
        raise SpecError("%s: no input statement" % path)
    return name, shape, layers


def _pair(text):
    parts = [int(p) for p in text.lower().split("x")]
    return (parts[0], parts[-1])


def _options(layer, words, where):
    for w in words:
        if w.startswith("k="):
            layer["k"] = _pair(w[2:])
        elif w.startswith("stride="):
            layer["stride"] = _pair(w[7:])
        elif w in ("same", "valid"):
            layer["padding"] = w
        elif w in ("relu", "tanh", "sigmoid", "linear", "softmax"):
            layer["act"] = w
        elif w.startswith("momentum=") or w.startswith("eps="):
            key, value = w.split("=", 1)
            layer[key] = float(value)
        else:
            raise SpecError("%s: unknown option '%s'" % (where, w))


# ---- the model ---------------------------------------------------------------

def tf_same_pads(size, k, s):
    """TensorFlow's 'same' padding: (before, after) for one dimension."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2, out


def build_model(torch, shape, layers):
    """The model as one module: each layer a small nn.Sequential run on the
    output it reads (the line before, or its 'from'), add and concat joining
    it with the output they name."""
    nn = torch.nn
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    names, shapes, steps, inputs = {}, [], [], []
    for i, L in enumerate(layers):
        last = i == len(layers) - 1
        src = names[L["from"]] if "from" in L else i - 1
        h, w, c = shapes[src] if src >= 0 else shape
        other = names[L["ref"]] if "ref" in L else None
        mods = []
        if L["kind"] == "concat":
            c += shapes[other][2]
        if L["kind"] in ("conv", "pool"):
            (kh, kw), (sh, sw) = L["k"], L["stride"]
            if L["padding"] == "same":
                pt, pb, oh = tf_same_pads(h, kh, sh)
                pl, pr, ow = tf_same_pads(w, kw, sw)
            else:
                pt = pb = pl = pr = 0
                oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
            symmetric = pt == pb and pl == pr
            if L["kind"] == "conv":
                if not symmetric:
                    mods.append(nn.ZeroPad2d((pl, pr, pt, pb)))
                pad = (pt, pl) if symmetric else 0
                mods.append(nn.Conv2d(c, L["filters"], (kh, kw), (sh, sw), pad))
                c = L["filters"]
            else:
                # Window and stride as in Keras; 'same' pooling is rare in
                # the specs and costs the same, so it is timed unpadded.
                pool = nn.MaxPool2d if L["op"] == "max" else nn.AvgPool2d
                mods.append(pool((kh, kw), (sh, sw), ceil_mode=L["padding"] == "same"))
            h, w = oh, ow
        elif L["kind"] == "flatten":
            mods.append(nn.Flatten())
            h, w, c = 1, 1, h * w * c
        elif L["kind"] == "dense":
            if h * w != 1:
                mods.append(nn.Flatten())
                h, w, c = 1, 1, h * w * c
            mods.append(nn.Linear(c, L["units"]))
            c = L["units"]
        elif L["kind"] == "dropout":
            mods.append(nn.Dropout(L["rate"]))
        elif L["kind"] == "batchnorm":
            # PyTorch's momentum is the weight of the new statistics.
            bn = nn.BatchNorm1d if h * w == 1 else nn.BatchNorm2d
            mods.append(bn(c, eps=L["eps"], momentum=1.0 - L["momentum"]))
        act = L.get("act", "linear")
        if act in acts:
            mods.append(acts[act]())
        elif act == "softmax" and not last:
            mods.append(nn.Softmax(dim=1))
        # a final softmax is fused into the cross-entropy loss
        if "as" in L:
            names[L["as"]] = i
        shapes.append((h, w, c))
        steps.append(nn.Sequential(*mods))
        inputs.append((src, other, L["kind"]))

    class Graph(nn.Module):
        def __init__(self):
            super().__init__()
            self.steps = nn.ModuleList(steps)

        def forward(self, x):
            outs = []
            for step, (src, other, kind) in zip(self.steps, inputs):
                y = outs[src] if src >= 0 else x
                if kind == "add":
                    y = y + outs[other]
                elif kind == "concat":
                    y = torch.cat([y, outs[other]], dim=1)
                outs.append(step(y))
            return outs[-1]

    model = Graph()
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)   # same fans as Keras
            nn.init.zeros_(m.bias)
    return model, c


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
        name, shape, layers = parse_spec(path)
        formats = ["nchw"]
        if any(L["kind"] == "conv" for L in layers):
            formats.append("channels_last")
        for fmt in formats:
            out += [(name, metric, config, value, fmt) for metric, config, value in
                    measure_model(torch, shape, layers, threads, seconds, fmt)]
    return out


def measure_model(torch, shape, layers, threads, seconds, fmt):
    torch.manual_seed(1)
    model, n_classes = build_model(torch, shape, layers)
    h, w, c = shape
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
        parse_spec(path)
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
