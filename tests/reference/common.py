"""Shared helpers for the PyTorch reference implementations (run with Debian's python3-torch: /usr/bin/python3).

Each reference builds one published architecture with seeded random weights, runs it on a padded batch, and writes
  tests/fixtures/model/parity/<family>/config.json       the config as the family's published checkpoints write it
  tests/fixtures/model/parity/<family>/model.safetensors weights under the family's Hugging Face names
  tests/fixtures/model/parity/<family>/io.safetensors    inputs and the outputs the C# model must reproduce
The safetensors format is written by hand here (8-byte little-endian header length, JSON header, raw buffers), so
no extra Python package is needed.
"""
import json
import math
import os
import struct

import torch

FIXTURES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures", "model", "parity"))

_DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(path, tensors):
    """Writes {name: tensor} in the safetensors layout, buffers in insertion order, header padded to 8 bytes."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


_TORCH_DTYPES = {v: k for k, v in _DTYPES.items()}


def load_safetensors(path):
    """Reads what save_safetensors writes: {name: tensor}, in the file's order."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = _TORCH_DTYPES[meta["dtype"]]
        out[name] = torch.frombuffer(bytearray(data[start:end]), dtype=dtype).reshape(meta["shape"]) if end > start \
            else torch.zeros(meta["shape"], dtype=dtype)
    return out


def randomize(module, seed, std=0.2):
    """Seeded random values for every parameter (LayerNorm gains and biases too, so nothing is trivially 1 or 0)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight") or name.endswith("layernorm.weight") \
                    or name.endswith("emb_layer_norm_after.weight") or name.endswith("full_layer_layer_norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))


def padded_batch(vocab, lengths, total, pad_id, seed, low=5):
    """Random token ids (never special ids below `low`), right-padded with pad_id; mask 1 = token."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(low, vocab, (len(lengths), total), generator=g)
    mask = torch.zeros(len(lengths), total, dtype=torch.int64)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    ids = ids.masked_fill(mask == 0, pad_id)
    return ids, mask


def extended_mask(mask, dtype=torch.float32):
    """HF's additive mask: 0 where attending is allowed, the dtype's minimum where the key is padding."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def write_json(path, obj, indent=2):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def write_family(family, config, weights, io):
    d = os.path.join(FIXTURES, family)
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), config)
    save_safetensors(os.path.join(d, "model.safetensors"), weights)
    save_safetensors(os.path.join(d, "io.safetensors"), io)
    size = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
    print(f"{family}: {len(weights)} tensors, {size / 1024:.0f} KiB in {d}")


def generate(family, model_class, config, seed, lengths, pad_id, extra_weights=None):
    """Builds `model_class(config)` with seeded random weights, runs it on a right-padded batch of `lengths`, and
    writes the family's fixtures. The model returns (hidden, logits, attentions as a list or a stacked tensor)."""
    torch.manual_seed(0)
    model = model_class(config).eval()
    randomize(model, seed=seed)
    ids, mask = padded_batch(config["vocab_size"], lengths, max(lengths), pad_id, seed=seed + 1)
    with torch.no_grad():
        hidden, logits, attentions = model(ids, mask)
    if isinstance(attentions, (list, tuple)):
        attentions = torch.stack(attentions)
    weights = dict(model.state_dict())
    weights.update(extra_weights or {})
    write_family(family, config, weights, {
        "input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden, "logits": logits, "attentions": attentions,
    })


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
