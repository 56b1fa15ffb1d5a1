#!/usr/bin/env python3
"""compare_outputs.py HOST QEMU TOL - the lines examples/mcu/main.c prints:
'i label class p0 ... p9' with the outputs as float32 bits in hex.  Exits 1
unless every image has the same class and every output is within TOL."""
import struct
import sys


def lines(path):
    with open(path) as f:
        return [l.split() for l in f if l[0].isdigit()]


host, board, tol = lines(sys.argv[1]), lines(sys.argv[2]), float(sys.argv[3])
if len(host) != len(board) or not host:
    sys.exit(f"compare_outputs: {len(host)} host lines, {len(board)} board lines")
worst = 0.0
for h, b in zip(host, board):
    if h[:3] != b[:3]:
        sys.exit(f"compare_outputs: image {h[0]}: class {h[2]} on the host, {b[2]} on the board")
    for x, y in zip(h[3:], b[3:]):
        fx, fy = (struct.unpack("<f", struct.pack("<I", int(v, 16)))[0] for v in (x, y))
        worst = max(worst, abs(fx - fy))
print(f"compare_outputs: {len(host)} images, same classes, largest difference {worst:.3g}")
sys.exit(0 if worst <= tol else 1)
