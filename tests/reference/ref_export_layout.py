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

Run with Debian's python3-torch (/usr/bin/python3) after ref_published.py; it only reads the fixtures' config.json.
"""
import json
import os

from torch import nn

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


def main():
    for family, model in models():
        rows = sorted((name, str(t.dtype).removeprefix("torch."), ",".join(str(s) for s in t.shape)) for name, t in model.state_dict().items())
        path = os.path.join(rp.OUT, family, "seqcls-state.tsv")
        with open(path, "w") as f:
            f.writelines(f"{n}\t{d}\t{s}\n" for n, d, s in rows)
        print(f"{path}: {len(rows)} tensors")


if __name__ == "__main__":
    main()
