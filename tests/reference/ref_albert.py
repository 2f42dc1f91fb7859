"""LOGO / ALBERT reference: Hugging Face ALBERT's architecture (modeling_albert.py): factorized embeddings of
width E (word + position [+ token type], LayerNorm), embedding_hidden_mapping_in to the hidden size, layers grouped
into num_hidden_groups weight-sharing groups, each layer post-LN (attention: LayerNorm(x + dense(ctx)); feed-forward:
full_layer_layer_norm(a + ffn_output(act(ffn(a))))), MLM head dense H->E -> act -> LayerNorm -> decoder tied to the
word embeddings + bias.
Two fixtures: `logo` follows LOGO's bert4keras configuration (E 128 -> H 256 scaled down here, no token types,
erf GELU, one group per layer: no sharing), and `albert` is HF ALBERT proper (one group shared by all layers,
token types, gelu_new)."""
import math

import torch
from torch import nn

import common

LOGO = {
    "architectures": ["AlbertForMaskedLM"], "model_type": "albert", "vocab_size": 77, "embedding_size": 16,
    "hidden_size": 32, "num_hidden_layers": 2, "num_hidden_groups": 2, "inner_group_num": 1, "num_attention_heads": 8,
    "intermediate_size": 128, "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
    "max_position_embeddings": 64, "type_vocab_size": 0, "layer_norm_eps": 1e-12, "initializer_range": 0.02,
    "pad_token_id": 0, "position_embedding_type": "absolute",
}

ALBERT = {
    "architectures": ["AlbertForMaskedLM"], "model_type": "albert", "vocab_size": 50, "embedding_size": 16,
    "hidden_size": 32, "num_hidden_layers": 3, "num_hidden_groups": 1, "inner_group_num": 1, "num_attention_heads": 4,
    "intermediate_size": 64, "hidden_act": "gelu_new", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 64, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "initializer_range": 0.02,
    "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, "classifier_dropout_prob": 0.1,
    "position_embedding_type": "absolute", "transformers_version": "4.28.0",
}


def act(c):
    return common.gelu_erf if c["hidden_act"] == "gelu" else common.gelu_tanh


class AttentionBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads, self.d = c["num_attention_heads"], h // c["num_attention_heads"]
        self.query, self.key, self.value, self.dense = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        probs = (q @ k.transpose(-1, -2) / math.sqrt(self.d) + bias).softmax(-1)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(x.shape)
        return self.LayerNorm(x + self.dense(ctx)), probs


class AlbertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.attention = AttentionBlock(c)
        self.ffn, self.ffn_output = nn.Linear(h, i), nn.Linear(i, h)
        self.full_layer_layer_norm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.act = act(c)

    def forward(self, x, bias):
        a, probs = self.attention(x, bias)
        return self.full_layer_layer_norm(self.ffn_output(self.act(self.ffn(a))) + a), probs


class LayerGroup(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.albert_layers = nn.ModuleList([AlbertLayer(c) for _ in range(c["inner_group_num"])])


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embedding_hidden_mapping_in = nn.Linear(c["embedding_size"], c["hidden_size"])
        self.albert_layer_groups = nn.ModuleList([LayerGroup(c) for _ in range(c["num_hidden_groups"])])

    def forward(self, x, bias):
        x, probs = self.embedding_hidden_mapping_in(x), []
        per_group = self.c["num_hidden_layers"] // self.c["num_hidden_groups"]
        for i in range(self.c["num_hidden_layers"]):
            for layer in self.albert_layer_groups[i // per_group].albert_layers:
                x, p = layer(x, bias)
                probs.append(p)
        return x, probs


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        e = c["embedding_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], e, padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], e)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], e) if c["type_vocab_size"] else None
        self.LayerNorm = nn.LayerNorm(e, eps=c["layer_norm_eps"])

    def forward(self, ids):
        x = self.word_embeddings(ids) + self.position_embeddings(torch.arange(ids.shape[1])[None, :])
        if self.token_type_embeddings is not None:
            x = x + self.token_type_embeddings(torch.zeros_like(ids))
        return self.LayerNorm(x)


class Albert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings, self.encoder = Embeddings(c), Encoder(c)

    def forward(self, ids, mask):
        return self.encoder(self.embeddings(ids), common.extended_mask(mask))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["embedding_size"])
        self.LayerNorm = nn.LayerNorm(c["embedding_size"], eps=c["layer_norm_eps"])
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.act = act(c)


class AlbertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.albert, self.predictions = Albert(c), Predictions(c)

    def forward(self, ids, mask):
        h, probs = self.albert(ids, mask)
        p = self.predictions
        logits = p.LayerNorm(p.act(p.dense(h))) @ self.albert.embeddings.word_embeddings.weight.T + p.bias
        return h, logits, probs


def main():
    common.generate("logo", AlbertForMaskedLM, LOGO, 41, [10, 7, 10], LOGO["pad_token_id"])
    common.generate("albert", AlbertForMaskedLM, ALBERT, 51, [11, 11, 3], ALBERT["pad_token_id"])


if __name__ == "__main__":
    main()
