"""DNABERT / GROVER reference: Hugging Face BERT (BertForMaskedLM), written from the architecture of
transformers' modeling_bert.py: learned absolute positions, token types, post-LN blocks, erf-GELU MLP,
MLM head = dense -> act -> LayerNorm -> decoder tied to the word embeddings + bias."""
import math

import torch
from torch import nn

import common

CONFIG = {
    "architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": 69, "hidden_size": 32,
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 40,
    "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
    "position_embedding_type": "absolute", "transformers_version": "4.28.0", "use_cache": True,
}


class SelfAttention(nn.Module):
    def __init__(self, h, heads):
        super().__init__()
        self.heads, self.d = heads, h // heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d) + bias
        probs = scores.softmax(-1)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(x.shape)
        return ctx, probs


class DenseNorm(nn.Module):
    """BertSelfOutput / BertOutput: LayerNorm(dense(x) + residual)."""

    def __init__(self, fan_in, h, eps):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(fan_in, h), nn.LayerNorm(h, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c["hidden_size"], c["num_attention_heads"])
        self.output = DenseNorm(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"])

    def forward(self, x, bias):
        ctx, probs = self.self(x, bias)
        return self.output(ctx, x), probs


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return common.gelu_erf(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c["intermediate_size"], c["hidden_size"], c["layer_norm_eps"])

    def forward(self, x, bias):
        a, probs = self.attention(x, bias)
        return self.output(self.intermediate(a), a), probs


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])[None, :]
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(torch.zeros_like(ids)))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings, self.encoder = Embeddings(c), Encoder(c)

    def forward(self, ids, mask):
        x, bias, probs = self.embeddings(ids), common.extended_mask(mask), []
        for layer in self.encoder.layer:
            x, p = layer(x, bias)
            probs.append(p)
        return x, probs


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(common.gelu_erf(self.dense(x)))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Cls(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert, self.cls = Bert(c), Cls(c)

    def forward(self, ids, mask):
        h, probs = self.bert(ids, mask)
        logits = self.cls.predictions.transform(h) @ self.bert.embeddings.word_embeddings.weight.T + self.cls.predictions.bias
        return h, logits, probs


def main():
    # Old transformers versions saved the position-id buffer; such files must load too.
    position_ids = torch.arange(CONFIG["max_position_embeddings"])[None, :]
    common.generate("bert", BertForMaskedLM, CONFIG, 11, [12, 9, 5], CONFIG["pad_token_id"], {"bert.embeddings.position_ids": position_ids})


if __name__ == "__main__":
    main()
