#!/usr/bin/env bash
# Regenerates fuzz/seeds/TARGET/ (the starting corpora) and fuzz/fixtures/ (files some harnesses need beside their
# input) from the real samples the repository ships. Small on purpose: AFL mutates faster from small seeds, and
# the seeds only have to reach each reader's code paths. Needs samtools, bgzip (tabix), /usr/bin/python3 with
# Debian's python3-torch (for the torch.save seeds), and a built dnafm (dotnet build src/DnaFoundation.Cli).
set -euo pipefail
cd "$(dirname "$0")/.."
dnafm="dotnet src/DnaFoundation.Cli/bin/Debug/net10.0/dnafm.dll"
S=fuzz/seeds F=fuzz/fixtures
rm -rf "$S" "$F"; mkdir -p "$S" "$F/genome" "$F/shards" "$F/sharded-model"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
genome=samples/genome/GRCh37_chr20_sample.fa.gz
seeds() { mkdir -p "$S/$1"; }

# Genome: two real slices of chr20 (soft-masked lower case and N kept as in the sample), 60 bases a line.
samtools faidx "$genome" 20:9000001-9001200 20:10629600-10630199 | sed 's/^>20:\([0-9]*\)-.*/>chr20_\1/' > "$F/genome/ref.fa"
samtools faidx "$F/genome/ref.fa"
bgzip -c "$F/genome/ref.fa" > "$F/genome/ref.fa.gz"
samtools faidx "$F/genome/ref.fa.gz"       # writes ref.fa.gz.fai and ref.fa.gz.gzi
seeds fasta; cp "$F/genome/ref.fa" "$S/fasta/two-records.fa"; head -c 400 "$F/genome/ref.fa" > "$S/fasta/one-line-wrap.fa"
cp tests/fixtures/data/fasta/crlf.fa tests/fixtures/data/fasta/ragged.fa "$S/fasta/"
seeds fasta-gz; gzip -nc "$F/genome/ref.fa" > "$S/fasta-gz/two-records.fa.gz"; gzip -nc tests/fixtures/data/fasta/crlf.fa > "$S/fasta-gz/crlf.fa.gz"
seeds bgzf; cp "$F/genome/ref.fa.gz" "$S/bgzf/two-records.fa.gz"; cp tests/fixtures/data/goldens/bgzf/mixed.fa.gz "$S/bgzf/"
seeds fai; cp "$F/genome/ref.fa.fai" "$S/fai/ref.fa.fai"
seeds gzi; cp "$F/genome/ref.fa.gz.gzi" "$S/gzi/ref.fa.gz.gzi"
# A .gzi with several blocks: bgzip the first record in small blocks is not possible with bgzip, so reuse the
# golden of the real chr20 sample (its entries point past the fixture: the harness must reject them cleanly).
head -c 256 tests/fixtures/data/goldens/gzi/GRCh37_chr20.fa.gz.gzi > "$S/gzi/chr20-prefix.gzi"

seeds vcf; cp samples/variants/clinvar_logo_chr20.vcf "$S/vcf/clinvar.vcf"
seeds bed; printf 'track name=peaks\n20\t9000100\t9000400\tpeak1\t500\t+\n20\t9000900\t9001000\n# comment\nchr20\t10629650\t10629750\tp3\n' > "$S/bed/peaks.bed"
seeds labels-csv; head -6 samples/gue/prom_core_all/dev.csv > "$S/labels-csv/gue.csv"
printf 'sequence,tf1,tf2,dnase\nACGTACGTAC,1,0,1\nTTGACCAGTA,0,0,1\nGGGCCCAATT,1,1,0\n' > "$S/labels-csv/multi.csv"
seeds labels-tsv; head -6 tests/fixtures/tokenizers/dnabert1_sample_ft6_dev_first100.tsv | cut -c1-200 > "$S/labels-tsv/dnabert1.tsv"
printf 'sequence\tlabel\nACGTACGTACGTTGCA\t0\nNNACGTRYACGTACGT\t1\n' > "$S/labels-tsv/two.tsv"

# Tokenizers: a small BPE trained by dnafm on the genome sample, the published DNABERT 6-mer vocab cut short, NT/char vocabs.
$dnafm tokenizer train -i "$F/genome/ref.fa" --vocab-size 40 -o "$tmp/bpe/tokenizer.json" >/dev/null
seeds tokenizer-json; cp "$tmp/bpe/tokenizer.json" "$S/tokenizer-json/bpe40.json"
seeds vocab-txt; head -30 tests/fixtures/tokenizers/dnabert1_k6_vocab.txt > "$S/vocab-txt/dnabert-head.txt"
{ printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n'; for a in A C G T; do for b in A C G T; do for c in A C G T; do echo "$a$b$c"; done; done; done; } > "$S/vocab-txt/kmer3.txt"
printf '<unk>\n<pad>\n<mask>\n<cls>\n<eos>\n<bos>\nAAAAAA\nAAAAAT\nA\nC\nG\nT\nN\n' > "$S/vocab-txt/nt.txt"
printf '[CLS]\n[SEP]\n[BOS]\n[MASK]\n[PAD]\n[RESERVED]\n[UNK]\nA\nC\nG\nT\nN\n' > "$S/vocab-txt/char.txt"
seeds tokenizer-config; printf '{\n  "vocab_size": 64,\n  "min_frequency": 2,\n  "chunk_length": 500,
  "max_bases": 100000\n}\n' > "$S/tokenizer-config/bpe.json"

# Configs: the real recipe, preset and manifest; Hugging Face configs as published (DNABERT-2, NT-v2) and as we write them.
seeds config; cp configs/train/tiny.json "$S/config/train-tiny.json"; cp configs/model/tiny.json "$S/config/model-tiny.json"
cp data-manifests/quickstart-sample.json "$S/config/manifest.json"
seeds hf-config; cp tests/fixtures/model/configs/dnabert2-117m.config.json tests/fixtures/model/configs/nt-v2-100m.config.json "$S/hf-config/"
cp tests/fixtures/model/parity/logo/config.json "$S/hf-config/logo.config.json"

# Weights: tiny safetensors and torch.save files written by the reference implementations (python torch), a shard index.
/usr/bin/python3 - "$S" "$F" <<'PY'
import json, struct, sys, os, torch
S, F = sys.argv[1], sys.argv[2]
def safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64", torch.bfloat16: "BF16"}[t.dtype],
                        "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode(); h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f: f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
torch.manual_seed(0)
small = {"bert.embeddings.word_embeddings.weight": torch.randn(4, 3), "bert.pooler.dense.bias": torch.randn(3),
         "cls.predictions.decoder.weight": torch.randn(2, 2).half(), "position_ids": torch.arange(5)}
os.makedirs(f"{S}/safetensors", exist_ok=True); safetensors(f"{S}/safetensors/small.safetensors", small)
safetensors(f"{S}/safetensors/empty.safetensors", {})
safetensors(f"{F}/sharded-model/model-00001-of-00002.safetensors", {"a.weight": torch.randn(2, 2)})
safetensors(f"{F}/sharded-model/model-00002-of-00002.safetensors", {"b.bias": torch.randn(3)})
os.makedirs(f"{S}/safetensors-index", exist_ok=True)
json.dump({"metadata": {"total_size": 28}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors", "b.bias": "model-00002-of-00002.safetensors"}},
          open(f"{S}/safetensors-index/index.json", "w"), indent=2)
os.makedirs(f"{S}/pickle-zip", exist_ok=True); os.makedirs(f"{S}/pickle-legacy", exist_ok=True)
sd = {"weight": torch.randn(2, 3), "bias": torch.randn(3).half(), "ids": torch.arange(4)}
sd["view"] = sd["weight"][1]                      # shares storage with weight
torch.save(sd, f"{S}/pickle-zip/state_dict.bin")
torch.save({"state_dict": {"w": torch.randn(2)}, "epoch": 3}, f"{S}/pickle-zip/nested.bin")
torch.save(sd, f"{S}/pickle-legacy/state_dict.bin", _use_new_zipfile_serialization=False)
torch.save({"model": {"w": torch.randn(2)}}, f"{S}/pickle-legacy/nested.bin", _use_new_zipfile_serialization=False)
PY

# Shards and training state: a real (tiny) shard build and a 2-step pretraining run on the fixture genome.
cat > "$tmp/manifest.json" <<JSON
{ "name": "fuzz", "species": [ { "name": "chr20_slices", "fasta": "$PWD/$F/genome/ref.fa", "weight": 1.0, "splits": { "validation": ["chr20_10629600"] } } ] }
JSON
$dnafm data shard -m "$tmp/manifest.json" -t kmer:3 --window 100 --rows-per-shard 8 --split train --split validation -o "$F/shards" >/dev/null
rm -f "$F/shards/run.json" "$F/shards/log.jsonl"
seeds parquet-shard; cp "$F/shards/train/shard-00000.parquet" "$S/parquet-shard/shard.parquet"
seeds shard-index; cp "$F/shards/index.json" "$S/shard-index/index.json"
cat > "$tmp/train.json" <<JSON
{ "model": "tiny", "tokenizer": "kmer:3", "data": { "shards": "$PWD/$F/shards" }, "max_length": 32,
  "micro_batch_size": 4, "global_batch_size": 4, "max_steps": 2, "checkpoint_every": 2, "eval_every": 0, "seed": 1 }
JSON
$dnafm pretrain --config "$tmp/train.json" --output "$tmp/run" --threads 1 >/dev/null 2>&1 || $dnafm pretrain --config "$tmp/train.json" --output "$tmp/run" --threads 1
seeds trainer-state; cp "$tmp"/run/checkpoints/step-2/trainer_state.json "$S/trainer-state/"
seeds loader-state; cp "$tmp"/run/checkpoints/step-2/trainer_state.json "$S/loader-state/"
du -sh "$S" "$F"
