#!/usr/bin/env python3
"""ckpt_patch.py IN OUT FIELD=VALUE... - copies checkpoint IN to OUT with
settings fields (docs/checkpoint-format.md) set to VALUE, then makes the
length field and the CRC right again, so that a reader gets past the CRC
to the field's own check.  FIELD may also be param[i] (a float32).
Used by tests/t_train.sh and tests/t_resume.sh; tests/xcheck/xcheck.py
reads checkpoints with its field table."""
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


def header_strings(b):
    """The strings before spec_hash: model, spec_file, convc_version, and
    from version 5 data_dir."""
    return 4 if struct.unpack_from("<I", b, 8)[0] >= 5 else 3


def fields_offset(b):
    at = 24

    def u32():
        nonlocal at
        v = struct.unpack_from("<I", b, at)[0]
        at += 4
        return v

    for _ in range(header_strings(b)):
        n = u32()
        at += n
    at += 16                            # spec_hash, n_params
    for _ in range(u32()):              # tensors: name, rank, shape, offset, count
        n = u32()
        at += n
        rank = u32()
        at += 4 * rank + 16
    return at


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
