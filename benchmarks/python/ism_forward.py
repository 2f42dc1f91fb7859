"""PyTorch side of the `ism` benchmark's forward table: a plain nn.TransformerEncoder of the benchmark's size (post-LN,
GELU, dropout 0, batch_first, eval, no_grad; PyTorch's own fused inference path) timed at the shapes the C# side
times, on random hidden states (the embedding lookup is negligible beside the layers). Per shape: one warm-up
forward, then --reps timed forwards; the median is reported. Prints one JSON line per shape. FLOPs counted as the
C# side counts them: the four projections and the FFN (2 * B*T * layers * (4*H*H + 2*H*I)) plus attention's two
batched products (4 * B*T*T*H * layers). Run with Debian's python3-torch (/usr/bin/python3)."""
import argparse
import json
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", required=True, help="BxT,BxT,... e.g. 1x297,64x297")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--intermediate", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(a.hidden, a.heads, a.intermediate, dropout=0.0, activation="gelu", batch_first=True)
    model = torch.nn.TransformerEncoder(layer, a.layers, enable_nested_tensor=False).eval()
    h, i, n = a.hidden, a.intermediate, a.layers
    for shape in a.shapes.split(","):
        b, t = (int(v) for v in shape.split("x"))
        x = torch.randn(b, t, h)
        times = []
        with torch.no_grad():
            model(x)
            for _ in range(a.reps):
                start = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - start)
        s = statistics.median(times)
        flops = 2.0 * b * t * n * (4 * h * h + 2 * h * i) + 4.0 * b * t * t * h * n
        print(json.dumps({"batch": b, "tokens": t, "s_per_forward": s, "s_per_sequence": s / b, "gflops": flops / s / 1e9,
                          "torch": torch.__version__, "blas": blas()}), flush=True)


def blas():
    """The BLAS library this process mapped (Debian's torch is built against the generic libblas.so.3, which the
    alternatives system points at OpenBLAS when it is installed)."""
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    return ", ".join(libs) or "unknown"


if __name__ == "__main__":
    main()
