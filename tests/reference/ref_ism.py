"""In-silico saturation mutagenesis reference: the masked-marginal LLR of every single-base substitution of one
sequence, computed with the PyTorch BERT reference (ref_bert.py) on the committed parity weights
(tests/fixtures/model/parity/bert, vocab 69 = DNABERT 3-mers) — written from the method, not from our C# code:

  DNABERT 3-mer tokens: [CLS] k-mers at every offset [SEP]; ids [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the
  k-mers in itertools.product("ATCG", repeat=3) order (DNABERT's vocab.txt order).
  One strand: mask every token whose k-mer covers the position; LLR = mean over those tokens of
  log_softmax(logits)[alt k-mer] - log_softmax(logits)[ref k-mer] (the k-mer with the base substituted).
  Delta = mean of the forward strand and the reverse complement (the position mirrored, the alt complemented),
  as GPN scores variants.

Writes tests/fixtures/interpretation/ism_bert_kmer3.tsv: position (1-based), ref, alt, forward, reverse, delta.
Run with Debian's python3-torch: /usr/bin/python3 tests/reference/ref_ism.py
"""
import itertools
import json
import os
import struct

import numpy as np
import torch

import ref_bert

HERE = os.path.dirname(__file__)
MODEL = os.path.join(HERE, "..", "fixtures", "model", "parity", "bert")
OUT = os.path.join(HERE, "..", "fixtures", "interpretation", "ism_bert_kmer3.tsv")
SEQUENCE = "ACGTTGCAAGCTTGCAGGATCCTTAGC"
K = 3
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + ["".join(p) for p in itertools.product("ATCG", repeat=K)]
IDS = {t: i for i, t in enumerate(VOCAB)}
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=kinds[h["dtype"]]).reshape(h["shape"]).copy())
    return out


def tokens(seq):
    return [IDS["[CLS]"]] + [IDS[seq[i:i + K]] for i in range(len(seq) - K + 1)] + [IDS["[SEP]"]]


def strand_llr(model, seq, pos, alt):
    ids = tokens(seq)
    covering = [i for i in range(len(seq) - K + 1) if i <= pos < i + K]
    masked = list(ids)
    for i in covering:
        masked[i + 1] = IDS["[MASK]"]
    x = torch.tensor([masked])
    with torch.no_grad():
        _, logits, _ = model(x, torch.ones_like(x))
    logp = logits[0].double().log_softmax(-1)
    total = 0.0
    for i in covering:
        ref_kmer = seq[i:i + K]
        alt_kmer = ref_kmer[:pos - i] + alt + ref_kmer[pos - i + 1:]
        total += (logp[i + 1, IDS[alt_kmer]] - logp[i + 1, IDS[ref_kmer]]).item()
    return total / len(covering)


def main():
    config = json.load(open(os.path.join(MODEL, "config.json")))
    model = ref_bert.BertForMaskedLM(config).eval()
    weights = load_safetensors(os.path.join(MODEL, "model.safetensors"))
    weights.pop("bert.embeddings.position_ids", None)
    model.load_state_dict(weights)
    rc = "".join(COMPLEMENT[b] for b in reversed(SEQUENCE))
    n = len(SEQUENCE)
    rows = ["position\tref\talt\tforward\treverse\tdelta"]
    for p, ref in enumerate(SEQUENCE):
        for alt in "ACGT":
            if alt == ref:
                continue
            f = strand_llr(model, SEQUENCE, p, alt)
            r = strand_llr(model, rc, n - 1 - p, COMPLEMENT[alt])
            rows.append(f"{p + 1}\t{ref}\t{alt}\t{f:.9g}\t{r:.9g}\t{(f + r) / 2:.9g}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(f"# sequence {SEQUENCE}\n" + "\n".join(rows) + "\n")
    print(f"{len(rows) - 1} substitutions -> {OUT}")


if __name__ == "__main__":
    main()
