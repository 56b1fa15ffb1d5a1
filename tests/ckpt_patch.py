#!/usr/bin/env python3
"""ckpt_patch.py IN OUT FIELD=VALUE... - copies checkpoint IN to OUT with
settings fields (docs/checkpoint-format.md) set to VALUE, then makes the
length field and the CRC right again, so that a reader gets past the CRC
to the field's own check.  FIELD may also be param[i] (a float32).
Used by tests/t_train.sh, tests/t_resume.sh and tests/t_mcu.sh;
tests/xcheck/xcheck.py and tests/batchnorm/moving_stats.py read checkpoints
with its layout() and read_fields()."""
import struct
import sys
import zlib

# ORDER: the file's order after the tensors (version 5; version 4 ends at isa,
# version 3 has threads where version 4 has workers).
FIELDS = [("optimizer", "<I"), ("n_state", "<I"), ("lr", "<d"), ("beta1", "<d"),
          ("beta2", "<d"), ("epsilon", "<d"), ("momentum", "<d"), ("step", "<Q"),
          ("batch", "<I"), ("workers", "<I"), ("epochs", "<I"), ("shuffle", "<I"),
          ("seed", "<Q"), ("limit_train", "<Q"), ("n_train", "<Q"), ("val_split", "<d"),
          ("epoch", "<I"), ("limit_test", "<I"), ("batch_pos", "<Q"), ("rng0", "<Q"),
          ("rng1", "<Q"), ("rng2", "<Q"), ("rng3", "<Q"), ("run_loss", "<d"),
          ("run_correct", "<Q"), ("run_seen", "<Q"),
          ("schedule", "<I"), ("lr_factor", "<d"), ("lr_every", "<I"), ("warmup", "<Q"),
          ("lr_patience", "<I"), ("min_lr", "<d"), ("weight_decay", "<d"),
          ("decay_all", "<I"), ("early_stop", "<I"), ("restore_best", "<I"), ("shift", "<I"),
          ("flip", "<I"), ("crop_pad", "<I"), ("cutout", "<I"), ("plateau_lr", "<d"),
          ("plateau_best", "<d"), ("plateau_wait", "<I"), ("best_loss", "<d"),
          ("best_epoch", "<I"), ("stop_wait", "<I"), ("stopped", "<I"), ("n_best", "<I"),
          ("isa", "<Q"), ("data_hash", "<Q")]


def layout(b):
    """(n_params, [(name, offset, count, shape)], the settings fields' offset)
    of the checkpoint bytes b: after the 24-byte header come the strings
    model, spec_file, convc_version (and from version 5 data_dir), then
    spec_hash, n_params and the tensor table."""
    at = 24

    def take(fmt):
        nonlocal at
        v = struct.unpack_from(fmt, b, at)
        at += struct.calcsize(fmt)
        return v

    for _ in range(4 if struct.unpack_from("<I", b, 8)[0] >= 5 else 3):
        n = take("<I")[0]
        at += n
    _, n_params = take("<QQ")                   # spec_hash, n_params
    tensors = []
    for _ in range(take("<I")[0]):
        n = take("<I")[0]
        name = bytes(b[at:at + n]).decode()
        at += n
        shape = take("<%dI" % take("<I")[0])
        offset, count = take("<QQ")
        tensors.append((name, offset, count, shape))
    return n_params, tensors, at


def fields_offset(b):
    return layout(b)[2]


def read_fields(b, at):
    """The settings fields from offset at, as {field: value}, and the
    offset after them (where the parameters start)."""
    values = {}
    for field, fmt in FIELDS:
        values[field] = struct.unpack_from(fmt, b, at)[0]
        at += struct.calcsize(fmt)
    return values, at


def main():
    b = bytearray(open(sys.argv[1], "rb").read())
    start = fields_offset(b)
    params = start + sum(struct.calcsize(f) for _, f in FIELDS)
    for arg in sys.argv[3:]:
        name, value = arg.split("=", 1)
        if name.startswith("param["):
            struct.pack_into("<f", b, params + 4 * int(name[6:-1]), float(value))
            continue
        at = start
        for field, fmt in FIELDS:
            if field == name:
                struct.pack_into(fmt, b, at, float(value) if fmt == "<d" else int(value))
                break
            at += struct.calcsize(fmt)
        else:
            sys.exit("ckpt_patch.py: no field " + name)
    struct.pack_into("<Q", b, 16, len(b))
    struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
    open(sys.argv[2], "wb").write(b)


if __name__ == "__main__":
    main()
