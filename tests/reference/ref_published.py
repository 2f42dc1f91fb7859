"""Published checkpoints as users get them: one tiny model per family, written in the family's published key layout,
container and tokenizer files (facts from ../shared/checkpoint-formats/*/NOTES.md), with PyTorch goldens.

  tests/fixtures/model/published/<family>/   config.json as the family writes it (transformers keys of its version),
                                             the weights in the family's container, its tokenizer files, and
                                             io.safetensors: input_ids, attention_mask, last_hidden_state, and the MLM
                                             logits (every 16th vocabulary column, logits_every16, for k-mer vocabularies)

  dnabert6   DNA_bert_6: transformers-2.5 fork config (do_sample, rnn*, split, ...), LEGACY torch.save (non-zip),
             pooler, cls.predictions.bias and decoder.bias sharing storage, decoder tied to the embeddings; the fork's
             BertLMPredictionHead returns decoder(h) + bias with decoder.bias = bias, so the bias is added twice;
             vocab.txt ([PAD]=0 [UNK]=1) + special_tokens_map.json + tokenizer_config.json {"max_len": 512}
  dnabert2   DNABERT-2-117M: MosaicBERT (ALiBi, fused Wqkv, GEGLU, no position table, no pooler), zip torch.save,
             decoder tied, bias only as cls.predictions.decoder.bias; tokenizer.json (DNABERT-2's BPE)
  dnabert-s  DNABERT-S: the same encoder saved as a bare BertModel: no 'bert.' prefix, pooler, no MLM head
  nt-v1      Nucleotide Transformer v1 (stock HF ESM): learned positions from padding_idx + 1, token dropout (x0.88
             rescale, <mask> rows zeroed), GELU FFN with biases, int64 position_ids buffer, contact head,
             vocab_size 4105 < 4107 vocab.txt entries; SHARDED safetensors with model.safetensors.index.json
  nt-v2      Nucleotide Transformer v2 (remote ESM): rotary, SwiGLU without biases, stored inv_freq buffers, an unused
             position table and contact head; model.safetensors; vocab.txt (the byte-exact 4107-token file)
  grover     GROVER: HF BertForMaskedLM on its own BPE vocabulary, float16 storage, position_ids buffer, both bias
             names; SHARDED zip torch.save with pytorch_model.bin.index.json
  gena-lm    GENA-LM: pre-LN BERT (pre_attention_ln / post_attention_ln, no final norm), BertForPreTraining with
             cls.seq_relationship and a pooler, the decoder stored as a separate copy, config "BertForPretraining"

  tests/fixtures/model/pickle/evil-*.bin      torch.save files whose pickle calls os.system / builtins.eval on load
                                              (the reader must refuse them without running anything)

Run with Debian's python3-torch (/usr/bin/python3); transformers is not needed: the models are written here in plain
torch from the families' modeling code. Deterministic (seeded weights and inputs).
"""
import json
import math
import os
import shutil

import torch
from torch import nn

import common

OUT = os.path.join(os.path.dirname(common.FIXTURES), "published")
PICKLES = os.path.join(os.path.dirname(common.FIXTURES), "pickle")
SHARED = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "checkpoint-formats"))
TOKENIZERS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures", "tokenizers"))
H, HEADS, LAYERS, INTER = 12, 2, 2, 24


# ---------------------------------------------------------------------------------------------------------- BERT ---
class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads, self.d = c["num_attention_heads"], h // c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        probs = (q @ k.transpose(-1, -2) / math.sqrt(self.d) + bias).softmax(-1)
        return (probs @ v).permute(0, 2, 1, 3).reshape(x.shape)


class Dense(nn.Module):
    """BertSelfOutput / BertOutput: dense, then LayerNorm(x + residual) unless pre-LN (GENA drops that LayerNorm)."""

    def __init__(self, fan_in, h, eps, norm):
        super().__init__()
        self.dense = nn.Linear(fan_in, h)
        if norm:
            self.LayerNorm = nn.LayerNorm(h, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual) if hasattr(self, "LayerNorm") else self.dense(x)


class BertAttention(nn.Module):
    def __init__(self, c, pre_ln):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = Dense(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"], not pre_ln)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])


class BertLayer(nn.Module):
    """Post-LN BERT, or GENA-LM's pre-LN layer: x = x + attn(pre_attention_ln(x)); x = x + ffn(post_attention_ln(x))."""

    def __init__(self, c, pre_ln):
        super().__init__()
        self.pre_ln = pre_ln
        if pre_ln:
            self.pre_attention_ln = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
            self.post_attention_ln = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.attention = BertAttention(c, pre_ln)
        self.intermediate = Intermediate(c)
        self.output = Dense(c["intermediate_size"], c["hidden_size"], c["layer_norm_eps"], not pre_ln)

    def forward(self, x, bias):
        if self.pre_ln:
            x = x + self.attention.output(self.attention.self(self.pre_attention_ln(x), bias), None)
            return x + self.output(common.gelu_erf(self.intermediate.dense(self.post_attention_ln(x))), None)
        a = self.attention.output(self.attention.self(x, bias), x)
        return self.output(common.gelu_erf(self.intermediate.dense(a)), a)


class BertEmbeddings(nn.Module):
    def __init__(self, c, position_ids):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        if position_ids:   # transformers < 4.31 (and GENA's 4.17 fork) saved this persistent buffer
            self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))

    def forward(self, ids):
        pos = torch.arange(ids.shape[1])[None, :]
        return self.LayerNorm(self.word_embeddings(ids) + self.position_embeddings(pos) + self.token_type_embeddings(torch.zeros_like(ids)))


class BertEncoder(nn.Module):
    def __init__(self, c, pre_ln):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c, pre_ln) for _ in range(c["num_hidden_layers"])])


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])


class BertModel(nn.Module):
    def __init__(self, c, pre_ln=False, pooler=True, position_ids=False):
        super().__init__()
        self.embeddings, self.encoder = BertEmbeddings(c, position_ids), BertEncoder(c, pre_ln)
        if pooler:
            self.pooler = BertPooler(c)

    def forward(self, ids, mask):
        x, bias = self.embeddings(ids), common.extended_mask(mask)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(common.gelu_erf(self.dense(x)))


class LMPredictionHead(nn.Module):
    """BertLMPredictionHead: the decoder is tied to the word embeddings and decoder.bias IS self.bias (one storage).
    transformers 2.5 (DNABERT's fork) returns decoder(h) + bias, i.e. the bias twice; later versions decoder(h)."""

    def __init__(self, c, embeddings, bias_twice, tie=True):
        super().__init__()
        self.transform = Transform(c)
        self.decoder = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if tie:
            self.decoder.weight = embeddings.weight
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))
        self.decoder.bias = self.bias
        self.bias_twice = bias_twice

    def forward(self, x):
        y = self.decoder(self.transform(x))
        return y + self.bias if self.bias_twice else y


class Cls(nn.Module):
    def __init__(self, c, embeddings, bias_twice=False, nsp=False, tie=True):
        super().__init__()
        self.predictions = LMPredictionHead(c, embeddings, bias_twice, tie)
        if nsp:
            self.seq_relationship = nn.Linear(c["hidden_size"], 2)


class BertForMaskedLM(nn.Module):
    def __init__(self, c, pre_ln=False, pooler=False, position_ids=False, bias_twice=False, nsp=False, tie=True):
        super().__init__()
        self.bert = BertModel(c, pre_ln, pooler, position_ids)
        self.cls = Cls(c, self.bert.embeddings.word_embeddings, bias_twice, nsp, tie)

    def forward(self, ids, mask):
        h = self.bert(ids, mask)
        return h, self.cls.predictions(h)


# ---------------------------------------------------------------------------------------------- MosaicBERT ---
def alibi_slopes(n):
    def power_of_two(m):
        start = 2 ** (-(2 ** -(math.log2(m) - 3)))
        return [start * start ** i for i in range(m)]
    if math.log2(n).is_integer():
        return power_of_two(n)
    low = 2 ** math.floor(math.log2(n))
    return power_of_two(low) + alibi_slopes(2 * low)[0::2][: n - low]


class MosaicSelf(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.d = c["num_attention_heads"], c["hidden_size"] // c["num_attention_heads"]
        self.Wqkv = nn.Linear(c["hidden_size"], 3 * c["hidden_size"])


class MosaicAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = MosaicSelf(c)
        self.output = Dense(c["hidden_size"], c["hidden_size"], c["layer_norm_eps"], True)


class MosaicMlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.i = c["intermediate_size"]
        self.gated_layers = nn.Linear(c["hidden_size"], 2 * self.i, bias=False)
        self.wo = nn.Linear(self.i, c["hidden_size"])
        self.layernorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class MosaicLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention, self.mlp = MosaicAttention(c), MosaicMlp(c)

    def forward(self, x, alibi):                    # x: (L, H), one unpadded sequence (bert_padding's unpadding)
        s, L = self.attention.self, x.shape[0]
        q, k, v = s.Wqkv(x).view(L, 3, s.heads, s.d).permute(1, 2, 0, 3)
        ctx = ((q @ k.transpose(-1, -2) / math.sqrt(s.d) + alibi).softmax(-1) @ v).permute(1, 0, 2).reshape(L, -1)
        a = self.attention.output(ctx, x)
        g = self.mlp.gated_layers(a)
        return self.mlp.layernorm(self.mlp.wo(common.gelu_erf(g[:, : self.mlp.i]) * g[:, self.mlp.i:]) + a)


class MosaicEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class MosaicEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([MosaicLayer(c) for _ in range(c["num_hidden_layers"])])


class MosaicBertModel(nn.Module):
    def __init__(self, c, pooler):
        super().__init__()
        self.embeddings, self.encoder = MosaicEmbeddings(c), MosaicEncoder(c)
        if pooler:
            self.pooler = BertPooler(c)
        self.heads, self.h = c["num_attention_heads"], c["hidden_size"]

    def forward(self, ids, mask):
        B, T = ids.shape
        out = torch.zeros(B, T, self.h)
        for b in range(B):
            n = int(mask[b].sum())
            i = ids[b, :n]
            e = self.embeddings
            x = e.LayerNorm(e.word_embeddings(i) + e.token_type_embeddings(torch.zeros_like(i)))
            pos = torch.arange(n)
            alibi = -torch.tensor(alibi_slopes(self.heads))[:, None, None] * (pos[None, :] - pos[:, None]).abs().float()
            for layer in self.encoder.layer:
                x = layer(x, alibi)
            out[b, :n] = x
        return out


class MosaicDecoder(nn.Module):
    def __init__(self, c, embeddings):
        super().__init__()
        self.weight = embeddings.weight                              # tied: the same Parameter
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class MosaicPredictions(nn.Module):
    def __init__(self, c, embeddings):
        super().__init__()
        self.transform, self.decoder = Transform(c), MosaicDecoder(c, embeddings)


class MosaicCls(nn.Module):
    def __init__(self, c, embeddings):
        super().__init__()
        self.predictions = MosaicPredictions(c, embeddings)


class MosaicForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = MosaicBertModel(c, pooler=False)
        self.cls = MosaicCls(c, self.bert.embeddings.word_embeddings)

    def forward(self, ids, mask):
        h = self.bert(ids, mask)
        p = self.cls.predictions
        return h, p.transform(h) @ p.decoder.weight.T + p.decoder.bias


# ------------------------------------------------------------------------------------------------------- ESM ---
def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Rotary(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d)))

    def forward(self, q, k):
        emb = torch.cat([torch.outer(torch.arange(q.shape[-2]).float(), self.inv_freq)] * 2, dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


class EsmSelf(nn.Module):
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
        return (probs @ v).permute(0, 2, 1, 3).reshape(x.shape)


class Linear1(nn.Module):
    def __init__(self, fan_in, fan_out, bias=True):
        super().__init__()
        self.dense = nn.Linear(fan_in, fan_out, bias=bias)


class EsmAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = EsmSelf(c)
        self.output = Linear1(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class EsmLayer(nn.Module):
    def __init__(self, c, swiglu):
        super().__init__()
        h, i, bias = c["hidden_size"], c["intermediate_size"], c.get("add_bias_fnn", True)
        self.swiglu = swiglu
        self.attention = EsmAttention(c)
        self.intermediate = Linear1(h, 2 * i if swiglu else i, bias=bias)
        self.output = Linear1(i, h, bias=bias)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, x, bias):
        a = self.attention.output.dense(self.attention.self(self.attention.LayerNorm(x), bias)) + x
        u = self.intermediate.dense(self.LayerNorm(a))
        if self.swiglu:
            g1, g2 = u.chunk(2, dim=-1)
            u = nn.functional.silu(g1) * g2
        else:
            u = common.gelu_erf(u)
        return self.output.dense(u) + a


class EsmEmbeddings(nn.Module):
    def __init__(self, c, position_ids):
        super().__init__()
        self.c = c
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        if position_ids:
            self.register_buffer("position_ids", torch.arange(c["max_position_embeddings"]).expand((1, -1)))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"], padding_idx=c["pad_token_id"])

    def forward(self, ids, mask):
        c = self.c
        x = self.word_embeddings(ids)
        if c["token_dropout"]:
            is_mask = (ids == c["mask_token_id"])
            x = x.masked_fill(is_mask.unsqueeze(-1), 0.0)
            observed = is_mask.sum(-1).float() / mask.sum(-1)
            x = x * (1 - 0.15 * 0.8) / (1 - observed)[:, None, None]
        if c["position_embedding_type"] == "absolute":
            not_pad = ids.ne(c["pad_token_id"]).int()
            pos = (torch.cumsum(not_pad, dim=1) * not_pad).long() + c["pad_token_id"]
            x = x + self.position_embeddings(pos)
        return x * mask.unsqueeze(-1)


class EsmEncoder(nn.Module):
    def __init__(self, c, swiglu):
        super().__init__()
        self.layer = nn.ModuleList([EsmLayer(c, swiglu) for _ in range(c["num_hidden_layers"])])
        self.emb_layer_norm_after = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])


class ContactHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.regression = nn.Linear(c["num_hidden_layers"] * c["num_attention_heads"], 1)


class Esm(nn.Module):
    def __init__(self, c, swiglu, position_ids):
        super().__init__()
        self.embeddings, self.encoder, self.contact_head = EsmEmbeddings(c, position_ids), EsmEncoder(c, swiglu), ContactHead(c)

    def forward(self, ids, mask):
        x, bias = self.embeddings(ids, mask), common.extended_mask(mask)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return self.encoder.emb_layer_norm_after(x)


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
    def __init__(self, c, swiglu, position_ids):
        super().__init__()
        self.esm, self.lm_head = Esm(c, swiglu, position_ids), LmHead(c)

    def forward(self, ids, mask):
        h = self.esm(ids, mask)
        return h, self.lm_head(h)


# --------------------------------------------------------------------------------------------------- writers ---
def randomize(model, seed):
    common.randomize(model, seed)
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():                          # GENA's norms are named *_ln
        for name, p in sorted(model.named_parameters()):
            if name.endswith("_ln.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))


def batch(vocab, lengths, pad, cls, sep, seed, low, masks=()):
    ids, mask = common.padded_batch(vocab, lengths, max(lengths), pad, seed, low=low)
    for b, n in enumerate(lengths):
        ids[b, 0] = cls
        if sep is not None:
            ids[b, n - 1] = sep
    for b, t, token in masks:
        ids[b, t] = token
    return ids, mask


def family_dir(name):
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def write_json(path, obj, indent=2):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def copy_shared(rel, dest):
    src = os.path.join(SHARED, rel)
    shutil.copyfile(src, dest)


def finish(d, ids, mask, hidden, logits=None):
    io = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": hidden}
    if logits is not None and logits.shape[-1] > 1000:
        io["logits_every16"] = logits[..., ::16]      # every 16th vocabulary column: the golden stays small
    elif logits is not None:
        io["logits"] = logits
    common.save_safetensors(os.path.join(d, "io.safetensors"), io)
    size = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
    print(f"{os.path.basename(d)}: {sorted(os.listdir(d))}, {size / 1024:.0f} KiB")


def bpe_tokenizer(specials, unk, cls, sep, merges):
    """A Hugging Face BPE tokenizer.json: specials, the four bases, then one token per merge (in merge order)."""
    vocab = {t: i for i, t in enumerate(specials + ["A", "C", "G", "T"])}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for s in specials]
    post = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": cls, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": sep, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": cls, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": sep, "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": sep, "type_id": 1}}],
            "special_tokens": {cls: {"id": cls, "ids": [vocab[cls]], "tokens": [cls]},
                               sep: {"id": sep, "ids": [vocab[sep]], "tokens": [sep]}}}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
            "pre_tokenizer": {"type": "Whitespace"}, "post_processor": post, "decoder": None,
            "model": {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "vocab": vocab,
                      "merges": [f"{a} {b}" for a, b in merges]}}


def first_merges(n):
    with open(os.path.join(TOKENIZERS, "dnabert2_tokenizer.json")) as f:
        merges = json.load(f)["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges[:n]]


def tiny(config, **dims):
    c = dict(config)
    c.update({"hidden_size": H, "num_attention_heads": HEADS, "num_hidden_layers": LAYERS, "intermediate_size": INTER})
    c.update(dims)
    return c


# -------------------------------------------------------------------------------------------------- families ---
def dnabert6():
    d = family_dir("dnabert6")
    with open(os.path.join(SHARED, "dnabert1", "config.DNA_bert_6.reconstructed.json")) as f:
        c = tiny(json.load(f), max_position_embeddings=128)
    torch.manual_seed(0)
    model = BertForMaskedLM(c, pooler=True, bias_twice=True).eval()
    randomize(model, 61)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[0].zero_()             # padding_idx row, as initialised
    # transformers-2.5 save_pretrained = torch.save(state_dict) in the format of torch <= 1.5: the legacy one.
    state = model.state_dict()
    assert state["cls.predictions.decoder.bias"].data_ptr() == state["cls.predictions.bias"].data_ptr()
    assert state["cls.predictions.decoder.weight"].data_ptr() == state["bert.embeddings.word_embeddings.weight"].data_ptr()
    torch.save(state, os.path.join(d, "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    write_json(os.path.join(d, "config.json"), c)
    shutil.copyfile(os.path.join(TOKENIZERS, "dnabert1_k6_vocab.txt"), os.path.join(d, "vocab.txt"))
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        f.write('{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}')
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        f.write('{"do_lower_case": true, "max_len": 512}')
    ids, mask = batch(c["vocab_size"], [20, 15, 7], 0, 2, 3, seed=62, low=5, masks=[(0, 4, 4)])
    with torch.no_grad():
        hidden, logits = model(ids, mask)
    finish(d, ids, mask, hidden, logits)


DNABERT2_TOKENIZER_CONFIG = {
    "clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "mask_token": "[MASK]", "model_max_length": 512,
    "pad_token": "[PAD]", "padding_side": "right", "sep_token": "[SEP]", "tokenizer_class": "PreTrainedTokenizerFast",
    "unk_token": "[UNK]"}


def dnabert2():
    d = family_dir("dnabert2")
    with open(os.path.join(SHARED, "dnabert2-117m", "config.reconstructed.json")) as f:
        c = tiny(json.load(f), num_attention_heads=3)
    torch.manual_seed(0)
    model = MosaicForMaskedLM(c).eval()
    randomize(model, 71)
    state = model.state_dict()
    assert state["cls.predictions.decoder.weight"].data_ptr() == state["bert.embeddings.word_embeddings.weight"].data_ptr()
    assert "cls.predictions.bias" not in state and not any(k.startswith("bert.pooler") for k in state)
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    write_json(os.path.join(d, "config.json"), c)
    with open(os.path.join(SHARED, "dnabert2-117m", "generation_config.json")) as f:
        generation = f.read()
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        f.write(generation)
    shutil.copyfile(os.path.join(TOKENIZERS, "dnabert2_tokenizer.json"), os.path.join(d, "tokenizer.json"))
    write_json(os.path.join(d, "tokenizer_config.json"), DNABERT2_TOKENIZER_CONFIG)
    ids, mask = batch(c["vocab_size"], [16, 11, 6], 3, 1, 2, seed=72, low=5)
    with torch.no_grad():
        hidden, logits = model(ids, mask)
    finish(d, ids, mask, hidden, logits)


def dnabert_s():
    d = family_dir("dnabert-s")
    with open(os.path.join(SHARED, "dnabert-s", "config.from-MAGICS-LAB-DNABERT_S-evaluate-model_codes.json")) as f:
        c = tiny(json.load(f), num_attention_heads=3)
    torch.manual_seed(0)
    model = MosaicBertModel(c, pooler=True).eval()
    randomize(model, 81)
    state = model.state_dict()                       # a bare BertModel: no 'bert.' prefix
    assert "pooler.dense.weight" in state and not any(k.startswith("bert.") for k in state)
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    write_json(os.path.join(d, "config.json"), c, indent=4)
    shutil.copyfile(os.path.join(TOKENIZERS, "dnabert2_tokenizer.json"), os.path.join(d, "tokenizer.json"))
    write_json(os.path.join(d, "tokenizer_config.json"), DNABERT2_TOKENIZER_CONFIG)
    ids, mask = batch(c["vocab_size"], [13, 9, 5], 3, 1, 2, seed=82, low=5)
    with torch.no_grad():
        hidden = model(ids, mask)
    finish(d, ids, mask, hidden)


NT_SPECIALS_MAP = '{\n  "cls_token": "<cls>",\n  "mask_token": "<mask>",\n  "pad_token": "<pad>",\n  "unk_token": "<unk>"\n}\n'


def nt_v1():
    d = family_dir("nt-v1")
    with open(os.path.join(SHARED, "nucleotide-transformer-v1", "config.500m-human-ref.json")) as f:
        c = tiny(json.load(f), max_position_embeddings=130)
    torch.manual_seed(0)
    model = EsmForMaskedLM(c, swiglu=False, position_ids=True).eval()
    randomize(model, 91)
    with torch.no_grad():
        model.esm.embeddings.word_embeddings.weight[c["pad_token_id"]].zero_()
        model.esm.embeddings.position_embeddings.weight[c["pad_token_id"]].zero_()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    assert state["esm.embeddings.position_ids"].dtype == torch.int64
    # Sharded as the 2.5B checkpoints are: model-0000N-of-00002.safetensors + model.safetensors.index.json.
    names = list(state)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2], "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    weight_map = {}
    for shard, keys in shards.items():
        common.save_safetensors(os.path.join(d, shard), {k: state[k] for k in keys})
        weight_map.update({k: shard for k in keys})
    total = sum(v.numel() * v.element_size() for v in state.values())
    write_json(os.path.join(d, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})
    write_json(os.path.join(d, "config.json"), c)
    copy_shared(os.path.join("nucleotide-transformer-v1", "vocab.reconstructed.txt"), os.path.join(d, "vocab.txt"))
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        f.write(NT_SPECIALS_MAP)
    write_json(os.path.join(d, "tokenizer_config.json"), {"clean_up_tokenization_spaces": True, "eos_token": None,
                                                          "model_max_length": 1000, "tokenizer_class": "EsmTokenizer"})
    # <cls> in front, a few <mask> tokens (token dropout: zeroed rows, rescale by the observed ratio), <pad> = 1.
    ids, mask = batch(c["vocab_size"], [18, 12, 6], 1, 3, None, seed=92, low=4, masks=[(0, 3, 2), (0, 7, 2), (1, 2, 2)])
    with torch.no_grad():
        hidden, logits = model(ids, mask)
    finish(d, ids, mask, hidden, logits)


def nt_v2():
    d = family_dir("nt-v2")
    with open(os.path.join(SHARED, "nucleotide-transformer-v2", "config.v2-50m.json")) as f:
        c = tiny(json.load(f), max_position_embeddings=130)
    torch.manual_seed(0)
    model = EsmForMaskedLM(c, swiglu=True, position_ids=False).eval()
    randomize(model, 101)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    assert "esm.encoder.layer.0.attention.self.rotary_embeddings.inv_freq" in state
    assert "esm.embeddings.position_embeddings.weight" in state and "esm.contact_head.regression.weight" in state
    common.save_safetensors(os.path.join(d, "model.safetensors"), state)
    write_json(os.path.join(d, "config.json"), c)
    copy_shared(os.path.join("nucleotide-transformer-v2", "vocab.txt"), os.path.join(d, "vocab.txt"))
    copy_shared(os.path.join("nucleotide-transformer-v2", "special_tokens_map.likely.json"), os.path.join(d, "special_tokens_map.json"))
    copy_shared(os.path.join("nucleotide-transformer-v2", "tokenizer_config.likely.json"), os.path.join(d, "tokenizer_config.json"))
    ids, mask = batch(c["vocab_size"], [17, 10, 5], 1, 3, None, seed=102, low=6)
    with torch.no_grad():
        hidden, logits = model(ids, mask)
    finish(d, ids, mask, hidden, logits)


def grover():
    d = family_dir("grover")
    tokenizer = bpe_tokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "[UNK]", "[CLS]", "[SEP]", first_merges(40))
    vocab = len(tokenizer["model"]["vocab"])
    c = tiny({"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": False,
              "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
              "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 64, "model_type": "bert",
              "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute",
              "torch_dtype": "float16", "transformers_version": "4.20.1", "type_vocab_size": 2, "use_cache": True,
              "vocab_size": vocab})
    torch.manual_seed(0)
    model = BertForMaskedLM(c, position_ids=True).eval()
    randomize(model, 111)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())                 # the stored float16 values are what the model computes with
    state = model.state_dict()
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
    # torch.save of the state dict with the tied decoder and the bias's two names sharing storage, in two shards.
    state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"]
    state["cls.predictions.decoder.bias"] = state["cls.predictions.bias"]
    names = list(state)
    first = [n for n in names if n.startswith("bert.embeddings") or ".layer.0." in n]
    shards = {"pytorch_model-00001-of-00002.bin": first, "pytorch_model-00002-of-00002.bin": [n for n in names if n not in first]}
    weight_map = {}
    for shard, keys in shards.items():
        torch.save({k: state[k] for k in keys}, os.path.join(d, shard))
        weight_map.update({k: shard for k in keys})
    write_json(os.path.join(d, "pytorch_model.bin.index.json"), {"metadata": {"total_size": 0}, "weight_map": weight_map})
    write_json(os.path.join(d, "config.json"), c)
    write_json(os.path.join(d, "tokenizer.json"), tokenizer)
    ids, mask = batch(vocab, [14, 9, 6], 0, 2, 3, seed=112, low=5)
    with torch.no_grad():
        hidden, logits = model(ids, mask)
    finish(d, ids, mask, hidden, logits)


def gena_lm():
    d = family_dir("gena-lm")
    tokenizer = bpe_tokenizer(["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"], "[UNK]", "[CLS]", "[SEP]", first_merges(30))
    with open(os.path.join(SHARED, "gena-lm", "config.gena-lm-bert-base.content-verified.json")) as f:
        c = tiny(json.load(f), max_position_embeddings=64, vocab_size=len(tokenizer["model"]["vocab"]))
    torch.manual_seed(0)
    model = BertForMaskedLM(c, pre_ln=True, pooler=True, position_ids=True, nsp=True).eval()
    randomize(model, 121)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[c["pad_token_id"]].zero_()
    state = model.state_dict()
    # The published file stores the decoder as its own copy (equal values), not as shared storage.
    state["cls.predictions.decoder.weight"] = state["cls.predictions.decoder.weight"].clone()
    assert "cls.seq_relationship.weight" in state and "bert.encoder.layer.0.pre_attention_ln.weight" in state
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    write_json(os.path.join(d, "config.json"), c)
    write_json(os.path.join(d, "tokenizer.json"), tokenizer)
    copy_shared(os.path.join("gena-lm", "tokenizer_config.json"), os.path.join(d, "tokenizer_config.json"))
    copy_shared(os.path.join("gena-lm", "special_tokens_map.json"), os.path.join(d, "special_tokens_map.json"))
    ids, mask = batch(c["vocab_size"], [15, 8, 5], 3, 1, 2, seed=122, low=5)
    with torch.no_grad():
        hidden, logits = model(ids, mask)
    finish(d, ids, mask, hidden, logits)


# ------------------------------------------------------------------------------------------------ malicious ---
class Evil:
    """Unpickling this calls fn(arg): what a weights reader that executes the pickle would run."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return self.fn, (self.arg,)


def malicious():
    os.makedirs(PICKLES, exist_ok=True)
    weights = {"bert.embeddings.word_embeddings.weight": torch.zeros(2, 2)}
    torch.save(dict(weights, payload=Evil(os.system, "touch PWNED-by-pickle")), os.path.join(PICKLES, "evil-os-system.bin"))
    torch.save(dict(weights, payload=Evil(eval, "__import__('os').system('touch PWNED-by-pickle')")),
               os.path.join(PICKLES, "evil-builtins-eval.bin"), _use_new_zipfile_serialization=False)
    print("malicious pickles in", PICKLES)


def main():
    for family in (dnabert6, dnabert2, dnabert_s, nt_v1, nt_v2, grover, gena_lm):
        family()
    malicious()


if __name__ == "__main__":
    main()
