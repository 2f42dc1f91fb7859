"""PyTorch pickle fixtures (torch.save's zip format: data.pkl + data/<key> storages), the only form in which
DNABERT-2-117M and GROVER are published.
  tests/fixtures/model/pickle/bert/       config.json + pytorch_model.bin: the `bert` parity weights saved the way
                                          transformers' save_pretrained(safe_serialization=False) does, i.e. with the
                                          tied decoder weight and decoder bias sharing storage with their originals
  tests/fixtures/model/pickle/odd.bin     tensors that exercise the reader: a view with a storage offset, a
                                          transposed (non-contiguous) view, fp16, bf16, int64, bool, a 0-d scalar,
                                          a Parameter, nested in {"state_dict": ...} as Lightning writes it
  tests/fixtures/model/pickle/odd.safetensors  the same tensors, contiguous, to compare against
"""
import os
import shutil

import torch

import common
import ref_bert

OUT = os.path.join(os.path.dirname(common.FIXTURES), "pickle")


def main():
    os.makedirs(os.path.join(OUT, "bert"), exist_ok=True)
    torch.manual_seed(0)
    model = ref_bert.BertForMaskedLM(ref_bert.CONFIG).eval()
    common.randomize(model, seed=11)                      # the same weights as the `bert` parity fixture
    state = model.state_dict()
    state["cls.predictions.decoder.weight"] = model.bert.embeddings.word_embeddings.weight   # shared storage
    state["cls.predictions.decoder.bias"] = model.cls.predictions.bias
    torch.save(state, os.path.join(OUT, "bert", "pytorch_model.bin"))
    shutil.copy(os.path.join(common.FIXTURES, "bert", "config.json"), os.path.join(OUT, "bert", "config.json"))

    g = torch.Generator().manual_seed(7)
    base = torch.randn(6, 5, generator=g)
    odd = {
        "offset_view": base[2:4],                         # storage offset 10
        "transposed": base.t(),                           # strides (1, 5)
        "half": torch.randn(3, 2, generator=g).half(),
        "bfloat": torch.randn(4, generator=g).bfloat16(),
        "long": torch.arange(-3, 4),
        "flags": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "param": torch.nn.Parameter(torch.randn(2, 2, generator=g)),
    }
    torch.save({"state_dict": odd, "epoch": 3}, os.path.join(OUT, "odd.bin"))
    common.save_safetensors(os.path.join(OUT, "odd.safetensors"), {k: v.detach().contiguous() for k, v in odd.items() if v.dtype != torch.bool})
    print("pickle fixtures in", OUT)


if __name__ == "__main__":
    main()
