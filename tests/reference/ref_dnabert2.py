"""DNABERT-2 reference: MosaicBERT as in DNABERT-2's bert_layers.py — no position table, ALiBi biases
(slopes of the ALiBi paper, symmetric |i-j| distances), fused Wqkv, post-LN, gated-linear-unit MLP
(gated_layers without bias, erf-GELU on the first half times the second half, wo, LayerNorm), tied MLM decoder with
its own bias. Like MosaicBERT's unpadding, every sequence is run on its real tokens only, and padded positions of the
output are zeros."""
import math

import torch
from torch import nn

import common

CONFIG = {
    "_name_or_path": "zhihan1996/DNABERT-2-117M", "alibi_starting_size": 512, "architectures": ["BertForMaskedLM"],
    "attention_probs_dropout_prob": 0.0,
    "auto_map": {"AutoConfig": "configuration_bert.BertConfig", "AutoModel": "bert_layers.BertModel",
                 "AutoModelForMaskedLM": "bert_layers.BertForMaskedLM"},
    "classifier_dropout": None, "gradient_checkpointing": False, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "hidden_size": 36, "initializer_range": 0.02, "intermediate_size": 56, "layer_norm_eps": 1e-12,
    "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 6, "num_hidden_layers": 2,
    "position_embedding_type": "absolute", "torch_dtype": "float32", "transformers_version": "4.28.0",
    "type_vocab_size": 2, "use_cache": True, "vocab_size": 80,
}


def alibi_slopes(n):
    def power_of_two(m):
        start = 2 ** (-(2 ** -(math.log2(m) - 3)))
        return [start * start ** i for i in range(m)]
    if math.log2(n).is_integer():
        return power_of_two(n)
    low = 2 ** math.floor(math.log2(n))
    return power_of_two(low) + alibi_slopes(2 * low)[0::2][: n - low]


def alibi(n_heads, length):
    pos = torch.arange(length)
    distance = (pos[None, :] - pos[:, None]).abs().float()
    return -torch.tensor(alibi_slopes(n_heads))[:, None, None] * distance      # (heads, L, L)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.d = c["num_attention_heads"], c["hidden_size"] // c["num_attention_heads"]
        self.Wqkv = nn.Linear(c["hidden_size"], 3 * c["hidden_size"])

    def forward(self, x, bias):                    # x: (L, H) — one unpadded sequence
        L = x.shape[0]
        q, k, v = self.Wqkv(x).view(L, 3, self.heads, self.d).permute(1, 2, 0, 3)
        probs = (q @ k.transpose(-1, -2) / math.sqrt(self.d) + bias).softmax(-1)
        return (probs @ v).permute(1, 0, 2).reshape(L, -1), probs


class SelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self, self.output = SelfAttention(c), SelfOutput(c)


class GatedMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.i = c["intermediate_size"]
        self.gated_layers = nn.Linear(c["hidden_size"], 2 * self.i, bias=False)
        self.wo = nn.Linear(self.i, c["hidden_size"])
        self.layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        h = self.gated_layers(x)
        return self.layernorm(self.wo(common.gelu_erf(h[:, : self.i]) * h[:, self.i:]) + x)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention, self.mlp = Attention(c), GatedMlp(c)

    def forward(self, x, bias):
        ctx, probs = self.attention.self(x, bias)
        a = self.attention.output.LayerNorm(self.attention.output.dense(ctx) + x)
        return self.mlp(a), probs


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings, self.encoder = Embeddings(c), Encoder(c)
        self.heads = c["num_attention_heads"]

    def forward_one(self, ids):                    # ids: (L,) real tokens only
        e = self.embeddings
        x = e.LayerNorm(e.word_embeddings(ids) + e.token_type_embeddings(torch.zeros_like(ids)))
        bias, probs = alibi(self.heads, ids.shape[0]), []
        for layer in self.encoder.layer:
            x, p = layer(x, bias)
            probs.append(p)
        return x, probs


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform, self.decoder = Transform(c), Decoder(c)


class Cls(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert, self.cls = Bert(c), Cls(c)

    def forward(self, ids, mask):
        B, T = ids.shape
        H, V, heads, layers = CONFIG["hidden_size"], CONFIG["vocab_size"], CONFIG["num_attention_heads"], CONFIG["num_hidden_layers"]
        hidden, logits = torch.zeros(B, T, H), torch.zeros(B, T, V)
        attentions = torch.zeros(layers, B, heads, T, T)
        p = self.cls.predictions
        for b in range(B):
            n = int(mask[b].sum())
            h, probs = self.bert.forward_one(ids[b, :n])
            hidden[b, :n] = h
            t = p.transform.LayerNorm(common.gelu_erf(p.transform.dense(h)))
            logits[b, :n] = t @ self.bert.embeddings.word_embeddings.weight.T + p.decoder.bias
            for i, pr in enumerate(probs):
                attentions[i, b, :, :n, :n] = pr
        return hidden, logits, attentions


def main():
    common.generate("dnabert2", BertForMaskedLM, CONFIG, 21, [14, 10, 6], pad_id=3)


if __name__ == "__main__":
    main()
