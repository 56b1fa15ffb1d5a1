"""convc_ir.py - a model as the compiler reads it: `convc ir SPEC`, the
canonical text with every default spelled out, padding resolved and the
layers each layer reads.  The one reader of specs for the PyTorch side of
the cross-check (xcheck.py) and of the bench (bench/torch_ref.py), so that
both build the network the compiler built; no torch here, so that a caller
can read a spec before it imports torch."""

import subprocess


class IrError(Exception):
    """`convc ir` refused the spec; .stderr holds its messages."""

    def __init__(self, spec, stderr):
        super().__init__("convc ir %s failed:\n%s" % (spec, stderr))
        self.stderr = stderr


def dims(text):
    return tuple(int(d) for d in text.split("x"))


class Layer:
    """Line i of `convc ir` after the input: 'conv 32 k=3x3 ... relu ->
    28x28x32', or with the layers it reads when they are not just the one
    before: 'add relu <- 3,1 -> 8x8x16' (indices; 'input': the model input)."""

    def __init__(self, line, index, ordinal):
        stmt, _, shape = line.partition(" -> ")
        stmt, _, reads = stmt.partition(" <- ")
        self.inputs = [-1 if r == "input" else int(r) for r in reads.split(",")] if reads \
            else [index - 1]
        words = stmt.split()
        self.text = stmt
        self.kind = words[0]
        self.words = [w for w in words[1:] if "=" not in w]
        self.opts = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        self.out = dims(shape)
        self.index = index
        self.ordinal = ordinal

    def tensor(self, suffix):
        return "%s%d.%s" % (self.kind, self.ordinal, suffix)

    def pads(self):
        """(top, left, bottom, right) of a window layer, as the compiler
        resolved 'same' and 'valid'."""
        return tuple(int(p) for p in self.opts["pad"].split(","))


class Model:
    """`convc ir SPEC`: the name, the canonical text (what the spec hash is
    computed from), the input (h, w, c) and the layers."""

    def __init__(self, convc, spec):
        r = subprocess.run([convc, "ir", spec], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise IrError(spec, r.stderr)
        first, self.canonical = r.stdout.split("\n", 1)
        self.name = first.split()[1]
        lines = self.canonical.splitlines()
        self.input = dims(lines[0].split()[1])
        ordinals, self.layers = {}, []
        for line in lines[1:]:
            kind = line.split()[0]
            ordinals[kind] = ordinals.get(kind, 0) + 1
            self.layers.append(Layer(line, len(self.layers), ordinals[kind]))
