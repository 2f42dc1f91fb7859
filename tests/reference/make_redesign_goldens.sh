#!/usr/bin/env bash
# Goldens for issue 18's "Keep": deterministic outputs recorded with the code as it was BEFORE the library-first
# redesign (commit e44a1bd, the parent of its first commit aefa8e4), compared by
# tests/DnaFoundation.Cli.Tests/RedesignGoldenTests.cs with the code as it is.
#   git worktree add --detach /tmp/pre18 e44a1bd
#   tests/reference/make_redesign_goldens.sh /tmp/pre18 tests/fixtures/goldens/redesign
# Three runs, each through the CLI of the checkout given: shards of the quick start's sample manifest (nt6 ids), a
# 12-step fp32 pretraining of the tiny preset on the chr20 sample (pretrain.json here, two micro-batches per step,
# validation twice), and an 8-step fp32 fine-tuning of that model on the shipped GUE prom_core_all sample. Recorded:
# the sha256 of every shard, of both model.safetensors files, and the loss values the runs logged.
# Numerics pinned so the bytes do not depend on which x86 CPU records or checks them (CI machines range from
# AVX2-only Zen 3 to AVX-512 Zen 5): ATen's kernels at their AVX2 level and MKL in its conditional-numerical-
# reproducibility mode for AVX2, both on libtorch's MKL (the only BLAS before the redesign; DNAFM_BLAS=mkl after it).
# RedesignGoldenTests sets the same three variables.
set -euo pipefail
export ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 DNAFM_BLAS=mkl
checkout=$(realpath "$1"); out=$(realpath "$2"); here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
dnafm() { (cd "$checkout" && dotnet run --project src/DnaFoundation.Cli -- "$@"); }
dnafm data shard -m data-manifests/quickstart-sample.json -t nt6 -o "$work/shards" >/dev/null
dnafm pretrain --config "$here/tests/fixtures/goldens/redesign/pretrain.json" --output "$work/pretrain" >/dev/null
dnafm finetune --model "$work/pretrain/final" --train samples/gue/prom_core_all/train.csv --dev samples/gue/prom_core_all/dev.csv \
  --test samples/gue/prom_core_all/test.csv --max-length 32 --max-steps 8 --global-batch 16 --micro-batch 16 --warmup-steps 2 \
  --eval-steps 4 --lr 0.001 --seed 3 --precision fp32 --device cpu --threads 2 --output "$work/finetune" >/dev/null
{
  (cd "$work" && sha256sum shards/*/*.parquet pretrain/final/model.safetensors finetune/final/model.safetensors)
} > "$out/sha256.txt"
# Loss values only (the metrics lines also hold timings): step and loss of every training and validation line.
/usr/bin/python3 - "$work" > "$out/losses.tsv" <<'PY'
import json, sys, os
work = sys.argv[1]
for run in ("pretrain", "finetune"):
    for line in open(os.path.join(work, run, "metrics.jsonl")):
        r = json.loads(line)
        for k in sorted(r):
            if "loss" in k and isinstance(r[k], (int, float)):
                print(f"{run}\t{r.get('step')}\t{k}\t{r[k]!r}")
PY
cp "$work/finetune/results.json" "$out/finetune-results.json"
echo "goldens written to $out from $(cd "$checkout" && git rev-parse --short HEAD)"
