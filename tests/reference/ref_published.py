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

Run with Debian's python3-torch (/usr/bin/python3); transformers is not needed: the models are the plain-torch
references of ref_bert.py (DNABERT, GROVER, GENA-LM), ref_dnabert2.py (DNABERT-2, DNABERT-S) and ref_esm.py (NT-v1,
NT-v2), with the options each family's files need. Deterministic (seeded weights and inputs).
"""
import json
import os
import shutil

import torch

import common
import ref_bert
import ref_dnabert2
import ref_esm

OUT = os.path.join(os.path.dirname(common.FIXTURES), "published")
PICKLES = os.path.join(os.path.dirname(common.FIXTURES), "pickle")
SHARED = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "checkpoint-formats"))
TOKENIZERS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures", "tokenizers"))
H, HEADS, LAYERS, INTER = 12, 2, 2, 24


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


def copy_shared(rel, dest):
    src = os.path.join(SHARED, rel)
    shutil.copyfile(src, dest)


def shared_config(rel, **dims):
    """A family's config.json from ../shared/checkpoint-formats, scaled down by tiny()."""
    with open(os.path.join(SHARED, rel)) as f:
        return tiny(json.load(f), **dims)


def build(model_class, c, seed, **options):
    """model_class(c, **options) in eval mode with seeded random weights (randomize above)."""
    torch.manual_seed(0)
    model = model_class(c, **options).eval()
    randomize(model, seed)
    return model


def finish(d, model, ids, mask, lm=True):
    """Runs the model on the batch and writes io.safetensors. Every model returns the hidden state first and, when it
    is a masked LM (lm), the logits second."""
    with torch.no_grad():
        out = model(ids, mask)
    io = {"input_ids": ids, "attention_mask": mask, "last_hidden_state": out[0]}
    if lm and out[1].shape[-1] > 1000:
        io["logits_every16"] = out[1][..., ::16]      # every 16th vocabulary column: the golden stays small
    elif lm:
        io["logits"] = out[1]
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
    c = shared_config(os.path.join("dnabert1", "config.DNA_bert_6.reconstructed.json"), max_position_embeddings=128)
    model = build(ref_bert.BertForMaskedLM, c, 61, pooler=True, decoder=True, bias_twice=True)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[0].zero_()             # padding_idx row, as initialised
    # transformers-2.5 save_pretrained = torch.save(state_dict) in the format of torch <= 1.5: the legacy one.
    state = model.state_dict()
    assert state["cls.predictions.decoder.bias"].data_ptr() == state["cls.predictions.bias"].data_ptr()
    assert state["cls.predictions.decoder.weight"].data_ptr() == state["bert.embeddings.word_embeddings.weight"].data_ptr()
    torch.save(state, os.path.join(d, "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    common.write_json(os.path.join(d, "config.json"), c)
    shutil.copyfile(os.path.join(TOKENIZERS, "dnabert1_k6_vocab.txt"), os.path.join(d, "vocab.txt"))
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        f.write('{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}')
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        f.write('{"do_lower_case": true, "max_len": 512}')
    finish(d, model, *batch(c["vocab_size"], [20, 15, 7], 0, 2, 3, seed=62, low=5, masks=[(0, 4, 4)]))


DNABERT2_TOKENIZER_CONFIG = {
    "clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "mask_token": "[MASK]", "model_max_length": 512,
    "pad_token": "[PAD]", "padding_side": "right", "sep_token": "[SEP]", "tokenizer_class": "PreTrainedTokenizerFast",
    "unk_token": "[UNK]"}


def dnabert2():
    d = family_dir("dnabert2")
    c = shared_config(os.path.join("dnabert2-117m", "config.reconstructed.json"), num_attention_heads=3)
    model = build(ref_dnabert2.BertForMaskedLM, c, 71, tied_weight=True, head_on_padding=True)
    state = model.state_dict()
    assert state["cls.predictions.decoder.weight"].data_ptr() == state["bert.embeddings.word_embeddings.weight"].data_ptr()
    assert "cls.predictions.bias" not in state and not any(k.startswith("bert.pooler") for k in state)
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    common.write_json(os.path.join(d, "config.json"), c)
    copy_shared(os.path.join("dnabert2-117m", "generation_config.json"), os.path.join(d, "generation_config.json"))
    shutil.copyfile(os.path.join(TOKENIZERS, "dnabert2_tokenizer.json"), os.path.join(d, "tokenizer.json"))
    common.write_json(os.path.join(d, "tokenizer_config.json"), DNABERT2_TOKENIZER_CONFIG)
    finish(d, model, *batch(c["vocab_size"], [16, 11, 6], 3, 1, 2, seed=72, low=5))


def dnabert_s():
    d = family_dir("dnabert-s")
    c = shared_config(os.path.join("dnabert-s", "config.from-MAGICS-LAB-DNABERT_S-evaluate-model_codes.json"), num_attention_heads=3)
    model = build(ref_dnabert2.Bert, c, 81, pooler=True)
    state = model.state_dict()                       # a bare BertModel: no 'bert.' prefix
    assert "pooler.dense.weight" in state and not any(k.startswith("bert.") for k in state)
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    common.write_json(os.path.join(d, "config.json"), c, indent=4)
    shutil.copyfile(os.path.join(TOKENIZERS, "dnabert2_tokenizer.json"), os.path.join(d, "tokenizer.json"))
    common.write_json(os.path.join(d, "tokenizer_config.json"), DNABERT2_TOKENIZER_CONFIG)
    finish(d, model, *batch(c["vocab_size"], [13, 9, 5], 3, 1, 2, seed=82, low=5), lm=False)


NT_SPECIALS_MAP = '{\n  "cls_token": "<cls>",\n  "mask_token": "<mask>",\n  "pad_token": "<pad>",\n  "unk_token": "<unk>"\n}\n'


def nt_v1():
    d = family_dir("nt-v1")
    c = shared_config(os.path.join("nucleotide-transformer-v1", "config.500m-human-ref.json"), max_position_embeddings=130)
    model = build(ref_esm.EsmForMaskedLM, c, 91, swiglu=False, position_ids=True)
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
    common.write_json(os.path.join(d, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})
    common.write_json(os.path.join(d, "config.json"), c)
    copy_shared(os.path.join("nucleotide-transformer-v1", "vocab.reconstructed.txt"), os.path.join(d, "vocab.txt"))
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        f.write(NT_SPECIALS_MAP)
    common.write_json(os.path.join(d, "tokenizer_config.json"), {"clean_up_tokenization_spaces": True, "eos_token": None,
                                                                 "model_max_length": 1000, "tokenizer_class": "EsmTokenizer"})
    # <cls> in front, a few <mask> tokens (token dropout: zeroed rows, rescale by the observed ratio), <pad> = 1.
    finish(d, model, *batch(c["vocab_size"], [18, 12, 6], 1, 3, None, seed=92, low=4, masks=[(0, 3, 2), (0, 7, 2), (1, 2, 2)]))


def nt_v2():
    d = family_dir("nt-v2")
    c = shared_config(os.path.join("nucleotide-transformer-v2", "config.v2-50m.json"), max_position_embeddings=130)
    model = build(ref_esm.EsmForMaskedLM, c, 101, swiglu=True, position_ids=False)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    assert "esm.encoder.layer.0.attention.self.rotary_embeddings.inv_freq" in state
    assert "esm.embeddings.position_embeddings.weight" in state and "esm.contact_head.regression.weight" in state
    common.save_safetensors(os.path.join(d, "model.safetensors"), state)
    common.write_json(os.path.join(d, "config.json"), c)
    copy_shared(os.path.join("nucleotide-transformer-v2", "vocab.txt"), os.path.join(d, "vocab.txt"))
    copy_shared(os.path.join("nucleotide-transformer-v2", "special_tokens_map.likely.json"), os.path.join(d, "special_tokens_map.json"))
    copy_shared(os.path.join("nucleotide-transformer-v2", "tokenizer_config.likely.json"), os.path.join(d, "tokenizer_config.json"))
    finish(d, model, *batch(c["vocab_size"], [17, 10, 5], 1, 3, None, seed=102, low=6))


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
    model = build(ref_bert.BertForMaskedLM, c, 111, position_ids=True, decoder=True)
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
    common.write_json(os.path.join(d, "pytorch_model.bin.index.json"), {"metadata": {"total_size": 0}, "weight_map": weight_map})
    common.write_json(os.path.join(d, "config.json"), c)
    common.write_json(os.path.join(d, "tokenizer.json"), tokenizer)
    finish(d, model, *batch(vocab, [14, 9, 6], 0, 2, 3, seed=112, low=5))


def gena_lm():
    d = family_dir("gena-lm")
    tokenizer = bpe_tokenizer(["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"], "[UNK]", "[CLS]", "[SEP]", first_merges(30))
    c = shared_config(os.path.join("gena-lm", "config.gena-lm-bert-base.content-verified.json"), max_position_embeddings=64,
                      vocab_size=len(tokenizer["model"]["vocab"]))
    model = build(ref_bert.BertForMaskedLM, c, 121, pre_ln=True, pooler=True, position_ids=True, decoder=True, nsp=True)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[c["pad_token_id"]].zero_()
    state = model.state_dict()
    # The published file stores the decoder as its own copy (equal values), not as shared storage.
    state["cls.predictions.decoder.weight"] = state["cls.predictions.decoder.weight"].clone()
    assert "cls.seq_relationship.weight" in state and "bert.encoder.layer.0.pre_attention_ln.weight" in state
    torch.save(state, os.path.join(d, "pytorch_model.bin"))
    common.write_json(os.path.join(d, "config.json"), c)
    common.write_json(os.path.join(d, "tokenizer.json"), tokenizer)
    copy_shared(os.path.join("gena-lm", "tokenizer_config.json"), os.path.join(d, "tokenizer_config.json"))
    copy_shared(os.path.join("gena-lm", "special_tokens_map.json"), os.path.join(d, "special_tokens_map.json"))
    finish(d, model, *batch(c["vocab_size"], [15, 8, 5], 3, 1, 2, seed=122, low=5))


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
