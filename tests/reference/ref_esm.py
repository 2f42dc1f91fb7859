"""Nucleotide Transformer v2 reference: the ESM architecture of NT-v2's Hugging Face code (modeling_esm.py of the
InstaDeepAI checkpoints): word embeddings only (no LayerNorm before, no token dropout), rows of padding zeroed;
pre-LN blocks; the query scaled by d^-1/2, then rotary embeddings (base 10000, halves rotated) on queries and keys;
SwiGLU feed-forward without biases (SiLU on the first half); final LayerNorm; LM head dense -> erf-GELU -> LayerNorm
-> untied decoder + bias. The weights file also carries what NT-v2 files carry and the model never uses: a position
table, per-layer inv_freq buffers and ESM's contact head.
The options and config keys serve ref_published.py's NT-v1, stock HF ESM: swiglu=False (erf-GELU feed-forward, with
biases unless add_bias_fnn is false), position_embedding_type "absolute" (learned positions counted from
padding_idx + 1; no rotary module then), token_dropout (<mask> rows zeroed, the rest rescaled) and the int64
position_ids buffer its files store. The defaults are the `esm` parity fixture's model."""
import torch
from torch import nn

import common

CONFIG = {
    "add_bias_fnn": False, "architectures": ["EsmForMaskedLM"], "attention_probs_dropout_prob": 0.0,
    "auto_map": {"AutoConfig": "esm_config.EsmConfig", "AutoModelForMaskedLM": "modeling_esm.EsmForMaskedLM"},
    "emb_layer_norm_before": False, "esmfold_config": None, "hidden_dropout_prob": 0.0, "hidden_size": 32,
    "initializer_range": 0.02, "intermediate_size": 40, "is_folding_model": False, "layer_norm_eps": 1e-12,
    "mask_token_id": 2, "max_position_embeddings": 66, "num_attention_heads": 4, "num_hidden_layers": 2,
    "pad_token_id": 1, "position_embedding_type": "rotary", "tie_word_embeddings": False, "token_dropout": False,
    "torch_dtype": "float32", "transformers_version": "4.32.0.dev0", "use_cache": False, "vocab_list": None,
    "vocab_size": 70,
}


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Rotary(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d)))

    def forward(self, q, k):
        t = torch.arange(q.shape[-2]).float()
        emb = torch.cat([torch.outer(t, self.inv_freq)] * 2, dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads, self.d = c["num_attention_heads"], h // c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        if c["position_embedding_type"] == "rotary":
            self.rotary_embeddings = Rotary(self.d)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q = self.split(self.query(x)) * self.d ** -0.5           # ESM scales the query before rotary
        k, v = self.split(self.key(x)), self.split(self.value(x))
        if hasattr(self, "rotary_embeddings"):
            q, k = self.rotary_embeddings(q, k)
        probs = (q @ k.transpose(-1, -2) + bias).softmax(-1)
        return (probs @ v).permute(0, 2, 1, 3).reshape(x.shape), probs


class Dense(nn.Module):
    def __init__(self, fan_in, fan_out, bias=True):
        super().__init__()
        self.dense = nn.Linear(fan_in, fan_out, bias=bias)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = Dense(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, bias):
        ctx, probs = self.self(self.LayerNorm(x), bias)
        return self.output.dense(ctx) + x, probs


class Layer(nn.Module):
    def __init__(self, c, swiglu=True):
        super().__init__()
        h, i, bias = c["hidden_size"], c["intermediate_size"], c.get("add_bias_fnn", True)
        self.swiglu = swiglu
        self.attention = Attention(c)
        self.intermediate = Dense(h, 2 * i if swiglu else i, bias=bias)
        self.output = Dense(i, h, bias=bias)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, x, bias):
        a, probs = self.attention(x, bias)
        u = self.intermediate.dense(self.LayerNorm(a))
        if self.swiglu:
            g1, g2 = u.chunk(2, dim=-1)
            u = nn.functional.silu(g1) * g2
        else:
            u = common.gelu_erf(u)
        return self.output.dense(u) + a, probs


class Embeddings(nn.Module):
    def __init__(self, c, position_ids=False):
        super().__init__()
        self.c = c
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        if position_ids:                           # stored (int64) by stock HF ESM files such as NT-v1's
            self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"], padding_idx=c["pad_token_id"])

    def forward(self, ids, mask):
        c = self.c
        x = self.word_embeddings(ids)
        if c["token_dropout"]:                     # <mask> rows zeroed, the rest rescaled by the observed mask ratio
            is_mask = (ids == c["mask_token_id"])
            x = x.masked_fill(is_mask.unsqueeze(-1), 0.0)
            observed = is_mask.sum(-1).float() / mask.sum(-1)
            x = x * (1 - 0.15 * 0.8) / (1 - observed)[:, None, None]
        if c["position_embedding_type"] == "absolute":   # learned positions, counted from padding_idx + 1
            not_pad = ids.ne(c["pad_token_id"]).int()
            pos = (torch.cumsum(not_pad, dim=1) * not_pad).long() + c["pad_token_id"]
            x = x + self.position_embeddings(pos)
        return x * mask.unsqueeze(-1)                 # rows of padding zeroed


class Encoder(nn.Module):
    def __init__(self, c, swiglu=True):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c, swiglu) for _ in range(c["num_hidden_layers"])])
        self.emb_layer_norm_after = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class ContactHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.regression = nn.Linear(c["num_hidden_layers"] * c["num_attention_heads"], 1)


class Esm(nn.Module):
    def __init__(self, c, swiglu=True, position_ids=False):
        super().__init__()
        self.embeddings, self.encoder, self.contact_head = Embeddings(c, position_ids), Encoder(c, swiglu), ContactHead(c)

    def forward(self, ids, mask):
        x, bias, probs = self.embeddings(ids, mask), common.extended_mask(mask), []
        for layer in self.encoder.layer:
            x, p = layer(x, bias)
            probs.append(p)
        return self.encoder.emb_layer_norm_after(x), probs


class LmHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.dense = nn.Linear(h, h)
        self.layer_norm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.decoder = nn.Linear(h, c["vocab_size"], bias=False)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))

    def forward(self, x):
        return self.decoder(self.layer_norm(common.gelu_erf(self.dense(x)))) + self.bias


class EsmForMaskedLM(nn.Module):
    def __init__(self, c, swiglu=True, position_ids=False):
        super().__init__()
        self.esm, self.lm_head = Esm(c, swiglu, position_ids), LmHead(c)

    def forward(self, ids, mask):
        h, probs = self.esm(ids, mask)
        return h, self.lm_head(h), probs


def main():
    common.generate("esm", EsmForMaskedLM, CONFIG, 31, [13, 11, 4], CONFIG["pad_token_id"])


if __name__ == "__main__":
    main()
