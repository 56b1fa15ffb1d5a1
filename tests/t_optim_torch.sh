#!/bin/sh
# t_optim_torch.sh - AdamW (decoupled weight decay) and SGD with L2 weight
# decay against torch.optim.AdamW and torch.optim.SGD(weight_decay=...):
# three steps of the real trainer on softmax regression (biases excluded
# from decay, as by default) from the same starting weights and batches.
# Momentum with L2 too (Keras' form equals torch's for a constant rate).
# Prints the largest error relative to the size of the updates.
cd "$(dirname "$0")/.." || exit 2
T=${FIXTURE_TRAINER:-build/tests/fixture_trainer}
[ -x "$T" ] || { echo "t_optim_torch: $T not built (make unit-tests)"; exit 1; }
PY=/usr/bin/python3
if ! $PY -c "import torch" 2>/dev/null; then
    echo "t_optim_torch: skipped: $PY has no torch (Debian package python3-torch)"
    exit 0
fi
W=$(mktemp -d /tmp/t_optim_torch.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
export CONVC_FIXTURE=softmax
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
# Starting weights with non-zero biases: one step of SGD.
$T --limit-train 64 --limit-test 10 --steps 1 --optimizer sgd --lr 0.5 --no-shuffle \
    --threads 1 --quiet --save "$W/start.ckpt" || exit 1
RUNS="adamw:0.01:0.1 sgd:0.1:0.05 momentum:0.05:0.02"
for run in $RUNS; do
    set -- $(echo "$run" | tr : ' ')
    $T --limit-train 64 --limit-test 10 --steps 3 --no-shuffle --threads 2 --quiet \
        --optimizer "$1" --lr "$2" --weight-decay "$3" --init-from "$W/start.ckpt" \
        --save "$W/$1.ckpt" || { echo "t_optim_torch: FAIL: $1 run"; fail=1; }
done
# One Python process for all (importing torch is the expensive part).
$PY - "$W" "$DATA" $RUNS <<'PY' || fail=1
import gzip, os, struct, sys
import torch
work, data = sys.argv[1], sys.argv[2]
N_IN, N_OUT = 784, 10
n = N_IN * N_OUT + N_OUT

def params(path):
    # The parameters are followed by the optimizer state arrays and the CRC.
    b = open(path, "rb").read()
    n_state = {"sgd": 0, "momentum": 1, "adamw": 2}[os.path.basename(path).split(".")[0]] if "start" not in path else 0
    at = len(b) - 4 - 4 * n * (n_state + 1)
    return torch.tensor(struct.unpack_from("<%df" % n, b, at), dtype=torch.float32)

def idx(name):
    p = os.path.join(data, name)
    raw = gzip.open(p + ".gz").read() if os.path.exists(p + ".gz") else open(p, "rb").read()
    return raw
images = torch.tensor(list(idx("train-images-idx3-ubyte")[16:16 + 64 * 784]), dtype=torch.float32).reshape(64, 784) / 255
labels = torch.tensor(list(idx("train-labels-idx1-ubyte")[8:8 + 64]), dtype=torch.long)

start = os.path.join(work, "start.ckpt")
failed = 0
for run in sys.argv[3:]:
    opt, lr, wd = run.split(":")[0], float(run.split(":")[1]), float(run.split(":")[2])
    end = os.path.join(work, opt + ".ckpt")
    p0 = params(start)
    kernel = p0[:N_IN * N_OUT].reshape(N_IN, N_OUT).clone().requires_grad_(True)
    bias = p0[N_IN * N_OUT:].clone().requires_grad_(True)
    groups = [{"params": [kernel], "weight_decay": wd}, {"params": [bias], "weight_decay": 0.0}]
    if opt == "adamw":
        o = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-7)
    elif opt == "momentum":
        # Keras' momentum (v = mu v - lr g; p += v) is torch's with a constant lr.
        o = torch.optim.SGD(groups, lr=lr, momentum=0.9)
    else:
        o = torch.optim.SGD(groups, lr=lr)
    # Steps 1 and 2: the two batches of epoch 1; step 3: epoch 2's first.
    for first in (0, 32, 0):
        o.zero_grad()
        x, y = images[first:first + 32], labels[first:first + 32]
        loss = torch.nn.functional.cross_entropy(x @ kernel + bias, y)
        loss.backward()
        o.step()
    want = torch.cat([kernel.detach().reshape(-1), bias.detach()])
    got = params(end)
    update = (want - p0).abs().max().item()
    err = (got - want).abs().max().item()
    rel = err / update
    print("t_optim_torch: %-5s lr %g weight decay %g: 3 steps, largest update %.3g, largest "
          "difference %.3g, relative %.2e" % (opt, lr, wd, update, err, rel))
    if not rel < 5e-4:
        print("t_optim_torch: FAIL: %s differs from torch" % opt)
        failed = 1
sys.exit(failed)
PY
[ $fail -eq 0 ] && echo "t_optim_torch: ok"
exit $fail
