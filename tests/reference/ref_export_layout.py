"""What PyTorch users load a model fine-tuned here with: the state dict of each family's own sequence-classification
class (num_labels = 2), built in plain torch from the families' modeling code (the classes of ref_bert.py,
ref_dnabert2.py and ref_esm.py that ref_published.py uses) on the published fixture's config.json. `dnafm model export`
of a model fine-tuned from that fixture must write exactly these names, shapes and dtypes, i.e.
load_state_dict(strict=True) of the family's class accepts it.

  tests/fixtures/model/published/<family>/seqcls-state.tsv   name, dtype, shape (comma-separated) per tensor, sorted

  dnabert6   transformers-2.5 BertForSequenceClassification: bert.* with the pooler, classifier (Linear H -> 2)
  dnabert2   DNABERT-2's bert_layers.BertForSequenceClassification: MosaicBERT bert.* with a pooler (the MLM file has
             none), classifier (Linear H -> 2)
  nt-v2      NT-v2's modeling_esm.EsmForSequenceClassification: esm.* without a pooler (add_pooling_layer=False) but
             with the contact head and stored rotary inv_freq, classifier.dense + classifier.out_proj (EsmClassificationHead)

And what PyTorch users then compute with it: each family's sequence classifier with seeded random weights, written
as an export of ours would be (the published config with the classification architecture and label names, the state
dict as safetensors, the published tokenizer files), and the logits the family's classification forward gives on the
published fixture's inputs:

  tests/fixtures/model/published-seqcls/<family>/   config.json, model.safetensors, tokenizer files, io.safetensors
                                                    (input_ids, attention_mask, logits)

  dnabert6, dnabert2   BertForSequenceClassification: the pooler (dense, tanh) on the first token, then the classifier
  nt-v2                EsmForSequenceClassification: EsmClassificationHead (dense, tanh, out_proj) on the first token

Run with Debian's python3-torch (/usr/bin/python3) after ref_published.py; it reads the fixtures' config.json, tokenizer
files and io.safetensors.
"""
import json
import os
import shutil

import torch
from torch import nn

import common

import ref_bert
import ref_dnabert2
import ref_esm
import ref_published as rp


class EsmClassificationHead(nn.Module):
    def __init__(self, c, labels):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.out_proj = nn.Linear(c["hidden_size"], labels)


class ForSequenceClassification(nn.Module):
    def __init__(self, prefix, base, classifier):
        super().__init__()
        setattr(self, prefix, base)
        self.classifier = classifier


def models(labels=2):
    def config(family):
        with open(os.path.join(rp.OUT, family, "config.json")) as f:
            return json.load(f)

    c = config("dnabert6")
    yield "dnabert6", ForSequenceClassification("bert", ref_bert.Bert(c, pooler=True), nn.Linear(c["hidden_size"], labels))
    c = config("dnabert2")
    yield "dnabert2", ForSequenceClassification("bert", ref_dnabert2.Bert(c, pooler=True), nn.Linear(c["hidden_size"], labels))
    c = config("nt-v2")
    yield "nt-v2", ForSequenceClassification("esm", ref_esm.Esm(c, swiglu=True, position_ids=False), EsmClassificationHead(c, labels))


SEQCLS = os.path.join(os.path.dirname(rp.OUT), "published-seqcls")
LABELS = ["background", "promoter"]
ARCHITECTURES = {"dnabert6": "BertForSequenceClassification", "dnabert2": "BertForSequenceClassification",
                 "nt-v2": "EsmForSequenceClassification"}
TOKENIZER_FILES = ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]


def classification_logits(family, model, ids, mask):
    """The family's sequence-classification forward in eval mode (dropout is the identity)."""
    if family == "nt-v2":
        h, _ = model.esm(ids, mask)
        return model.classifier.out_proj(torch.tanh(model.classifier.dense(h[:, 0])))
    h, _ = model.bert(ids, mask)
    return model.classifier(torch.tanh(model.bert.pooler.dense(h[:, 0])))


def seqcls_goldens():
    for seed, (family, model) in enumerate(models(), start=301):
        rp.randomize(model, seed)
        model.eval()
        published = os.path.join(rp.OUT, family)
        io = common.load_safetensors(os.path.join(published, "io.safetensors"))
        ids, mask = io["input_ids"], io["attention_mask"]
        with torch.no_grad():
            logits = classification_logits(family, model, ids, mask)
        d = os.path.join(SEQCLS, family)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(published, "config.json")) as f:
            config = json.load(f)
        config["architectures"] = [ARCHITECTURES[family]]
        config["id2label"] = {str(i): name for i, name in enumerate(LABELS)}
        config["label2id"] = {name: i for i, name in enumerate(LABELS)}
        common.write_json(os.path.join(d, "config.json"), config)
        common.save_safetensors(os.path.join(d, "model.safetensors"), dict(sorted(model.state_dict().items())))
        for name in TOKENIZER_FILES:
            if os.path.exists(os.path.join(published, name)):
                shutil.copyfile(os.path.join(published, name), os.path.join(d, name))
        common.save_safetensors(os.path.join(d, "io.safetensors"), {"input_ids": ids, "attention_mask": mask, "logits": logits})
        print(f"{d}: logits {list(logits.shape)}")


def main():
    seqcls_goldens()
    for family, model in models():
        rows = sorted((name, str(t.dtype).removeprefix("torch."), ",".join(str(s) for s in t.shape)) for name, t in model.state_dict().items())
        path = os.path.join(rp.OUT, family, "seqcls-state.tsv")
        with open(path, "w") as f:
            f.writelines(f"{n}\t{d}\t{s}\n" for n, d, s in rows)
        print(f"{path}: {len(rows)} tensors")


if __name__ == "__main__":
    main()
