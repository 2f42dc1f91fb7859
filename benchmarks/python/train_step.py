"""PyTorch side of the `model-train` benchmark: the same DNABERT-2-style encoder (ALiBi, GEGLU, post-LN, tied MLM
head) trained with AdamW on random tokens; prints one JSON line. Run with Debian's python3-torch (/usr/bin/python3);
install libopenblas0-pthread or torch falls back to the reference BLAS (~10x slower).
PyTorch 1.13 has no scaled_dot_product_attention, so attention is the eager softmax(QK^T/sqrt(d) + bias)V that
HF/MosaicBERT use without flash kernels. Everything else matches the C# side (ModelTrainBenchmark.cs): loss over every
token, AdamW with the same settings, gradients reset to None, the padding row of the embedding excluded from its
gradient, median step time and per-phase medians."""
import argparse
import ctypes
import json
import math
import os
import re
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F


def alibi(heads, length):
    def slopes(n):
        if math.log2(n).is_integer():
            s = 2 ** (-(2 ** -(math.log2(n) - 3)))
            return [s * s ** i for i in range(n)]
        low = 2 ** math.floor(math.log2(n))
        return slopes(low) + slopes(2 * low)[0::2][: n - low]
    pos = torch.arange(length)
    return -torch.tensor(slopes(heads))[:, None, None] * (pos[None, :] - pos[:, None]).abs().float()


class Layer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads, self.inter = heads, inter
        self.Wqkv, self.dense = nn.Linear(h, 3 * h), nn.Linear(h, h)
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.gated, self.wo = nn.Linear(h, 2 * inter, bias=False), nn.Linear(inter, h)

    def forward(self, x, bias):
        b, t, h = x.shape
        q, k, v = self.Wqkv(x).view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        probs = (q @ k.transpose(-1, -2) / math.sqrt(h // self.heads) + bias).softmax(-1)
        x = self.ln1(x + self.dense((probs @ v).transpose(1, 2).reshape(b, t, h)))
        g = self.gated(x)
        return self.ln2(x + self.wo(F.gelu(g[..., : self.inter]) * g[..., self.inter:]))


class Model(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, pad):
        super().__init__()
        self.heads = heads
        self.emb, self.type_emb, self.ln = nn.Embedding(vocab, h, padding_idx=pad), nn.Embedding(2, h), nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList([Layer(h, heads, inter) for _ in range(layers)])
        self.dense, self.head_ln, self.bias = nn.Linear(h, h), nn.LayerNorm(h, eps=1e-12), nn.Parameter(torch.zeros(vocab))

    def forward(self, ids):
        x = self.ln(self.emb(ids) + self.type_emb(torch.zeros_like(ids)))
        bias = alibi(self.heads, ids.shape[1]).to(x.dtype)[None]
        for layer in self.layers:
            x = layer(x, bias)
        return self.head_ln(F.gelu(self.dense(x))) @ self.emb.weight.T + self.bias


def matmul_gflops(dtype, n=2048, reps=5):
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def blas_report():
    """Which BLAS and kernels this process runs: torch's build config, the OpenBLAS it loaded (asked through ctypes:
    version, the kernel set chosen for this CPU, its pool size), torch's threads, and the variables that change them."""
    config = torch.__config__.show()
    def find(pattern, text):
        m = re.search(pattern, text)
        return m.group(1).strip() if m else None
    report = {"torch": torch.__version__, "blas_info": find(r"BLAS_INFO=([^,]+)", config),
              "cpu_capability": find(r"CPU capability usage: (\S+)", config), "torch_threads": torch.get_num_threads(),
              "omp_max_threads": find(r"omp_get_max_threads\(\) : (\d+)", torch.__config__.parallel_info()),
              "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}}
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1].lower() or "mkl" in line.split()[-1].lower()})
    report["blas_libraries"] = libs
    for path in libs:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_get_config"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            report["openblas_config"] = lib.openblas_get_config().decode()
            report["openblas_kernels"] = lib.openblas_get_corename().decode()
            report["openblas_threads"] = lib.openblas_get_num_threads()
            break
    return report


def main():
    p = argparse.ArgumentParser()
    for name, default in (("vocab", 4096), ("hidden", 768), ("layers", 12), ("heads", 12), ("intermediate", 3072),
                          ("pad", 3), ("batch", 32), ("tokens", 128), ("steps", 3), ("threads", 2)):
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dtype = torch.float32 if a.dtype == "fp32" else torch.bfloat16
    model = Model(a.vocab, a.hidden, a.layers, a.heads, a.intermediate, a.pad).to(dtype)
    # The same numbers as the C# side (whose TorchSharp defaults differ: beta2 0.99, no weight decay).
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    ids = torch.randint(5, a.vocab, (a.batch, a.tokens))

    def step():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids).float().view(-1, a.vocab), ids.view(-1))
        loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        return t3 - t0, t1 - t0, t2 - t1, t3 - t2

    step()                                                    # warm-up (allocations, AdamW state)
    timed = [step() for _ in range(a.steps)]
    seconds, forward, backward, optimizer = (statistics.median(col) for col in zip(*timed))
    print(json.dumps({"torch": torch.__version__, "blas": blas_report(), "dtype": a.dtype, "threads": a.threads, "step_s": seconds, "forward_s": forward, "backward_s": backward, "optimizer_s": optimizer,
                      "tokens_per_s": a.batch * a.tokens / seconds, "matmul_gflops": matmul_gflops(dtype)}))


if __name__ == "__main__":
    main()
