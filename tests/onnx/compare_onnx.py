"""compare_onnx.py - the ONNX export checked by independent software
(tests/t_onnx.sh): for each MODEL.onnx with MODEL.probs (the trainer's
probabilities, float32, N x classes), the ONNX checker validates the model,
OpenCV's dnn module runs it on the same N test images, and the classes must
equal the trainer's and every probability lie within 1e-5 of it.  Prints the
accuracy of each model under OpenCV.  Runs with Debian's python3 (its onnx,
cv2 and numpy).
  usage: compare_onnx.py IMAGES.gz LABELS.gz N DIR MODEL..."""
import gzip
import sys

import cv2
import numpy as np
import onnx


# Operators OpenCV 4.6's importer refuses in their opset-13 form: Clip
# (relu6) takes its bounds as inputs since opset 11, OpenCV only as the old
# attributes.
OPENCV_CANNOT = {"Clip"}


def idx(path, n, item):
    """The first n items of an unsigned-byte IDX file (gzip)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    return body[: n * item].reshape(n, item)


def main(argv):
    images_path, labels_path, n, out = argv[1], argv[2], int(argv[3]), argv[4]
    labels = idx(labels_path, n, 1)[:, 0]
    failed = 0
    for name in argv[5:]:
        path = "%s/%s.onnx" % (out, name)
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        ops = " ".join(node.op_type for node in model.graph.node)
        try:
            with open("tests/onnx/%s.ops" % name) as f:
                want_ops = f.read().split()
            if ops.split() != want_ops:
                print("t_onnx: %s: operators '%s', expected '%s'" % (name, ops, " ".join(want_ops)))
                failed = 1
        except FileNotFoundError:
            pass
        refused = sorted(set(ops.split()) & OPENCV_CANNOT)
        if refused:
            print("t_onnx: %s: valid ONNX; not run: OpenCV %s cannot import %s"
                  % (name, cv2.__version__, ", ".join(refused)))
            continue
        # The input is (N, H, W, C), convc's layout.
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
        pixels = idx(images_path, n, int(np.prod(shape)))
        # (float)byte / 255.0f as the trainer computes it: one rounding in float32.
        x = (pixels.astype(np.float32) / np.float32(255.0)).reshape([n] + shape)
        net = cv2.dnn.readNetFromONNX(path)
        net.setInput(x)
        got = net.forward().reshape(n, -1)
        want = np.fromfile("%s/%s.probs" % (out, name), dtype=np.float32).reshape(n, -1)
        differ = int(np.sum(got.argmax(1) != want.argmax(1)))
        worst = float(np.max(np.abs(got.astype(np.float64) - want)))
        accuracy = float(np.mean(got.argmax(1) == labels))
        print("t_onnx: %s: %d images under OpenCV %s: accuracy %.4f, %d classes differ "
              "from the trainer's, largest probability difference %.2e"
              % (name, n, cv2.__version__, accuracy, differ, worst))
        if differ or not worst <= 1e-5:
            print("t_onnx: %s: FAILED" % name)
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv))
