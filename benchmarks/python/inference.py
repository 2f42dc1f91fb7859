"""PyTorch side of the `inference` benchmark: the DNABERT-2-layout encoder of train_step.py (ALiBi, GEGLU, post-LN)
run forward-only the way a batched PyTorch inference loop does it: the token ids the C# side wrote (one sequence a
line, [CLS] ... [SEP] included), sorted by length, batches of --batch padded to the batch's longest with a key mask,
under torch.inference_mode. Two readouts, as `dnafm predict` and `dnafm embed` compute them: predict = BERT pooler on
[CLS] (dense + tanh) -> linear -> softmax, top-1; embed = mean of the last hidden states over the real tokens.
Results are gathered back into input order. Prints one JSON line. Run with Debian's python3-torch (/usr/bin/python3)."""
import argparse
import glob
import json
import os
import time

import torch
from torch import nn

from train_step import Layer, alibi


class Encoder(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, pad, labels):
        super().__init__()
        self.heads, self.pad = heads, pad
        self.emb, self.type_emb, self.ln = nn.Embedding(vocab, h, padding_idx=pad), nn.Embedding(2, h), nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList([Layer(h, heads, inter) for _ in range(layers)])
        self.pooler, self.classifier = nn.Linear(h, h), nn.Linear(h, labels)

    def forward(self, ids, mask):
        x = self.ln(self.emb(ids) + self.type_emb(torch.zeros_like(ids)))
        bias = alibi(self.heads, ids.shape[1]).to(x.dtype)[None] + ((1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min)
        for layer in self.layers:
            x = layer(x, bias)
        return x


def batches(seqs, batch, pad):
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        longest = max(len(seqs[i]) for i in idx)
        ids = torch.full((len(idx), longest), pad, dtype=torch.long)
        for r, i in enumerate(idx):
            ids[r, :len(seqs[i])] = torch.tensor(seqs[i])
        yield idx, ids, (ids != pad).long()


def run(model, seqs, batch, pad, readout):
    out = [None] * len(seqs)
    t = time.perf_counter()
    with torch.inference_mode():
        for idx, ids, mask in batches(seqs, batch, pad):
            x = model(ids, mask)
            if readout == "predict":
                probs = model.classifier(torch.tanh(model.pooler(x[:, 0]))).softmax(-1)
                top = probs.argmax(-1)
                rows = [(p, int(k)) for p, k in zip(probs.tolist(), top.tolist())]
            else:
                m = mask[..., None].to(x.dtype)
                rows = ((x * m).sum(1) / m.sum(1)).tolist()
            for i, row in zip(idx, rows):
                out[i] = row
    return time.perf_counter() - t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ids", required=True)
    for name, default in (("vocab", 4096), ("hidden", 512), ("layers", 6), ("heads", 8), ("intermediate", 2048),
                          ("pad", 3), ("labels", 2), ("batch", 64), ("threads", 2), ("rounds", 1)):
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    with open(a.ids) as f:
        seqs = [[int(x) for x in line.split()] for line in f if line.strip()]
    model = Encoder(a.vocab, a.hidden, a.layers, a.heads, a.intermediate, a.pad, a.labels).eval()
    run(model, seqs[:a.batch], a.batch, a.pad, "predict")                      # warm-up
    blas = next((part.split("=", 1)[1] for part in torch.__config__.show().replace(",", " ").split() if part.startswith("BLAS_INFO=")), "n/a")
    # Debian's torch links the generic libblas.so.3, which the alternatives system points at a BLAS (OpenBLAS here).
    blas += "".join(" -> " + os.path.realpath(p) for p in glob.glob("/etc/alternatives/libblas.so.3*"))
    result = {"torch": torch.__version__, "blas": blas, "threads": a.threads, "sequences": len(seqs), "batch": a.batch}
    for readout in ("predict", "embed"):
        seconds = min(run(model, seqs, a.batch, a.pad, readout) for _ in range(a.rounds))
        result[readout + "_seq_per_s"] = len(seqs) / seconds
    print(json.dumps(result))


if __name__ == "__main__":
    main()
