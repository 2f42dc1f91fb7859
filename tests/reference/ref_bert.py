"""DNABERT / GROVER reference: Hugging Face BERT (BertForMaskedLM), written from the architecture of
transformers' modeling_bert.py: learned absolute positions, token types, post-LN blocks, erf-GELU MLP,
MLM head = dense -> act -> LayerNorm -> decoder tied to the word embeddings + bias.
The options serve ref_published.py's checkpoints (and MosaicBERT's embeddings in ref_dnabert2.py): GENA-LM's pre-LN
layers, a pooler, the position_ids buffer older transformers saved, HF's decoder Linear in the state dict, the bias
added twice by DNABERT's transformers-2.5 fork, and the NSP head of BertForPreTraining. Every option is off by
default: the `bert` parity fixture's model."""
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
    """BertSelfOutput / BertOutput: LayerNorm(dense(x) + residual). norm=False (GENA's pre-LN layers drop this
    LayerNorm): dense(x) alone, the layer adds the residual."""

    def __init__(self, fan_in, h, eps, norm=True):
        super().__init__()
        self.dense = nn.Linear(fan_in, h)
        if norm:
            self.LayerNorm = nn.LayerNorm(h, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual) if hasattr(self, "LayerNorm") else self.dense(x)


class Attention(nn.Module):
    def __init__(self, c, pre_ln=False):
        super().__init__()
        self.self = SelfAttention(c["hidden_size"], c["num_attention_heads"])
        self.output = DenseNorm(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"], not pre_ln)

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
    """Post-LN BERT, or GENA-LM's pre-LN layer: x = x + attn(pre_attention_ln(x)); x = x + ffn(post_attention_ln(x))."""

    def __init__(self, c, pre_ln=False):
        super().__init__()
        self.pre_ln = pre_ln
        if pre_ln:                                 # registered first: GENA's state dict lists them before attention
            self.pre_attention_ln = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
            self.post_attention_ln = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.attention = Attention(c, pre_ln)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c["intermediate_size"], c["hidden_size"], c["layer_norm_eps"], not pre_ln)

    def forward(self, x, bias):
        if self.pre_ln:
            ctx, probs = self.attention.self(self.pre_attention_ln(x), bias)
            x = x + self.attention.output(ctx, None)
            return x + self.output(self.intermediate(self.post_attention_ln(x)), None), probs
        a, probs = self.attention(x, bias)
        return self.output(self.intermediate(a), a), probs


class Embeddings(nn.Module):
    """word + position + token type (all type 0), LayerNorm. positions=False: no position table (MosaicBERT).
    position_ids: the persistent buffer that transformers < 4.31 (and GENA's 4.17 fork) saved."""

    def __init__(self, c, positions=True, position_ids=False):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h) if positions else None
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        if position_ids:
            self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))

    def forward(self, ids):
        x = self.word_embeddings(ids)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(torch.arange(ids.shape[1])[None, :])
        return self.LayerNorm(x + self.token_type_embeddings(torch.zeros_like(ids)))


class Encoder(nn.Module):
    def __init__(self, c, pre_ln=False):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c, pre_ln) for _ in range(c["num_hidden_layers"])])


class Pooler(nn.Module):
    """Stored by BertModel(add_pooling_layer=True); no output here needs it."""

    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])


class Bert(nn.Module):
    def __init__(self, c, pre_ln=False, pooler=False, position_ids=False):
        super().__init__()
        self.embeddings, self.encoder = Embeddings(c, position_ids=position_ids), Encoder(c, pre_ln)
        if pooler:
            self.pooler = Pooler(c)

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
    """BertLMPredictionHead. decoder=False: transform and bias only, the logits computed from the word embeddings
    (the parity fixture's layout). decoder=True: HF's bias-less decoder Linear tied to the word embeddings, whose
    .bias IS self.bias (one storage saved under both names); bias_twice: transformers 2.5 (DNABERT's fork) returns
    decoder(h) + bias, i.e. the bias twice, later versions decoder(h)."""

    def __init__(self, c, embeddings, decoder=False, bias_twice=False):
        super().__init__()
        self.transform = Transform(c)
        if decoder:
            self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
            self.decoder.weight = embeddings.weight
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        if decoder:
            self.decoder.bias = self.bias
        self.bias_twice = bias_twice

    def forward(self, x, embeddings):
        # The same numbers up to rounding either way; each fixture keeps the op it was written with (a matmul plus
        # the bias, or Linear's fused addmm), so its bytes do not change.
        if not hasattr(self, "decoder"):
            return self.transform(x) @ embeddings.weight.T + self.bias
        y = self.decoder(self.transform(x))
        return y + self.bias if self.bias_twice else y


class Cls(nn.Module):
    def __init__(self, c, embeddings, decoder=False, bias_twice=False, nsp=False):
        super().__init__()
        self.predictions = Predictions(c, embeddings, decoder, bias_twice)
        if nsp:                                    # BertForPreTraining's next-sentence head (GENA-LM)
            self.seq_relationship = nn.Linear(c["hidden_size"], 2)


class BertForMaskedLM(nn.Module):
    def __init__(self, c, pre_ln=False, pooler=False, position_ids=False, decoder=False, bias_twice=False, nsp=False):
        super().__init__()
        self.bert = Bert(c, pre_ln, pooler, position_ids)
        self.cls = Cls(c, self.bert.embeddings.word_embeddings, decoder, bias_twice, nsp)

    def forward(self, ids, mask):
        h, probs = self.bert(ids, mask)
        return h, self.cls.predictions(h, self.bert.embeddings.word_embeddings), probs


def main():
    # Old transformers versions saved the position-id buffer; such files must load too.
    position_ids = torch.arange(CONFIG["max_position_embeddings"])[None, :]
    common.generate("bert", BertForMaskedLM, CONFIG, 11, [12, 9, 5], CONFIG["pad_token_id"], {"bert.embeddings.position_ids": position_ids})


if __name__ == "__main__":
    main()
