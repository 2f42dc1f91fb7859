"""DNABERT-2 reference: MosaicBERT as in DNABERT-2's bert_layers.py — no position table, ALiBi biases
(slopes of the ALiBi paper, symmetric |i-j| distances), fused Wqkv, post-LN, gated-linear-unit MLP
(gated_layers without bias, erf-GELU on the first half times the second half, wo, LayerNorm), tied MLM decoder with
its own bias. Like MosaicBERT's unpadding, every sequence is run on its real tokens only, and padded positions of the
output are zeros. Embeddings, the attention output, the pooler and the MLM transform are ref_bert.py's classes.
The options serve ref_published.py's DNABERT-2 / DNABERT-S checkpoints: a pooler, the tied decoder weight in the state
dict, and the MLM head run on the padded batch; all off by default (the `dnabert2` parity fixture's model)."""
import math

import torch
from torch import nn

import common
import ref_bert

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


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = ref_bert.DenseNorm(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"])


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
        return self.mlp(self.attention.output(ctx, x)), probs


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Bert(nn.Module):
    """MosaicBERT's BertModel: BERT's embeddings without the position table, the encoder; pooler=True adds the pooler
    that DNABERT-S and the sequence-classification class store."""

    def __init__(self, c, pooler=False):
        super().__init__()
        self.embeddings, self.encoder = ref_bert.Embeddings(c, positions=False), Encoder(c)
        if pooler:
            self.pooler = ref_bert.Pooler(c)
        self.heads, self.h = c["num_attention_heads"], c["hidden_size"]

    def forward_one(self, ids):                    # ids: (L,) real tokens only
        x = self.embeddings(ids)
        bias, probs = alibi(self.heads, ids.shape[0]), []
        for layer in self.encoder.layer:
            x, p = layer(x, bias)
            probs.append(p)
        return x, probs

    def forward(self, ids, mask):
        """The padded batch, each sequence run on its real tokens only: hidden (B, T, H) and attentions
        (layers, B, heads, T, T), zeros at padded positions."""
        B, T = ids.shape
        hidden = torch.zeros(B, T, self.h)
        attentions = torch.zeros(len(self.encoder.layer), B, self.heads, T, T)
        for b in range(B):
            n = int(mask[b].sum())
            h, probs = self.forward_one(ids[b, :n])
            hidden[b, :n] = h
            for i, pr in enumerate(probs):
                attentions[i, b, :, :n, :n] = pr
        return hidden, attentions


class Decoder(nn.Module):
    """The decoder's own bias; tied_weight=True also holds the word embeddings' Parameter as .weight, so the state
    dict carries cls.predictions.decoder.weight as DNABERT-2's pytorch_model.bin does."""

    def __init__(self, c, embeddings, tied_weight=False):
        super().__init__()
        if tied_weight:
            self.weight = embeddings.weight
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Predictions(nn.Module):
    def __init__(self, c, embeddings, tied_weight=False):
        super().__init__()
        self.transform, self.decoder = ref_bert.Transform(c), Decoder(c, embeddings, tied_weight)


class Cls(nn.Module):
    def __init__(self, c, embeddings, tied_weight=False):
        super().__init__()
        self.predictions = Predictions(c, embeddings, tied_weight)


class BertForMaskedLM(nn.Module):
    """tied_weight: see Decoder. head_on_padding: the MLM head runs on the whole padded batch (the head of a zero
    state at padded positions), as ref_published.py's goldens were written; else on each sequence's real tokens only,
    padded logits zeros (the parity fixture)."""

    def __init__(self, c, tied_weight=False, head_on_padding=False):
        super().__init__()
        self.bert = Bert(c)
        self.cls = Cls(c, self.bert.embeddings.word_embeddings, tied_weight)
        self.head_on_padding = head_on_padding

    def forward(self, ids, mask):
        hidden, attentions = self.bert(ids, mask)
        p, weight = self.cls.predictions, self.bert.embeddings.word_embeddings.weight
        if self.head_on_padding:
            return hidden, p.transform(hidden) @ weight.T + p.decoder.bias, attentions
        logits = torch.zeros(*ids.shape, weight.shape[0])
        for b in range(ids.shape[0]):
            n = int(mask[b].sum())
            logits[b, :n] = p.transform(hidden[b, :n]) @ weight.T + p.decoder.bias
        return hidden, logits, attentions


def main():
    common.generate("dnabert2", BertForMaskedLM, CONFIG, 21, [14, 10, 6], pad_id=3)


if __name__ == "__main__":
    main()
