#!/usr/bin/env bash
# Regenerates the small real data the quick start ships, from the project's shared data sets.
# Needs: samtools, bgzip (tabix package), python3. Usage: bash samples/make_samples.sh [SHARED_DATA_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../../shared/data}
chr20=$src/genomes/human/GRCh37_chr20.fa.gz
vcf=$src/variants/Clinvar_nc_snv_pathogenic_177Pos_177Neg.vcf

# Variants: the LOGO ClinVar/1000G SNVs on chr20 (hg19 = GRCh37 coordinates), with a VCF header added.
{
  printf '##fileformat=VCFv4.2\n##source=LOGO 05_LOGO_Variant_Prioritization (ClinVar non-coding pathogenic vs 1000 Genomes controls), chr20 subset\n##contig=<ID=chr20,length=63025520,assembly=hg19>\n'
  printf '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'
  grep -v '^#' "$vcf" | awk -F'\t' -v OFS='\t' '$1=="chr20" {print $1,$2,$3,$4,$5,".",".","."}' | sort -k2,2n
} > "$here/variants/clinvar_logo_chr20.vcf"

# Genome: GRCh37 chromosome 20 keeping its real coordinates (record "20", 63,025,520 bp), with real bases in
# 20:9,000,001-11,000,000 (pretraining) and within 2 kb of each variant above; N everywhere else, so the file is small
# and the VCF positions stay valid.
python3 - "$chr20" "$here/variants/clinvar_logo_chr20.vcf" "$here/genome/GRCh37_chr20_sample.fa" <<'PY'
import subprocess, sys
fasta, vcf, out = sys.argv[1:4]
length = 63025520
keep = [(9_000_001, 11_000_000)]
for line in open(vcf):
    if line.startswith('#'): continue
    pos = int(line.split('\t')[1])
    keep.append((max(1, pos - 2000), min(length, pos + 2000)))
keep.sort()
merged = []
for s, e in keep:
    if merged and s <= merged[-1][1] + 1: merged[-1] = (merged[-1][0], max(merged[-1][1], e))
    else: merged.append((s, e))
seq = bytearray(b'N' * length)
for s, e in merged:
    region = subprocess.run(['samtools', 'faidx', fasta, f'20:{s}-{e}'], check=True, capture_output=True, text=True).stdout
    bases = ''.join(region.split('\n')[1:]).encode()
    assert len(bases) == e - s + 1
    seq[s - 1:e] = bases
with open(out, 'w') as f:
    f.write('>20 GRCh37 chromosome 20; real bases only in ' + ','.join(f'{s}-{e}' for s, e in merged) + ', N elsewhere\n')
    for i in range(0, length, 60):
        f.write(seq[i:i + 60].decode() + '\n')
PY
rm -f "$here/genome/GRCh37_chr20_sample.fa.gz"*
bgzip -@2 "$here/genome/GRCh37_chr20_sample.fa"
samtools faidx "$here/genome/GRCh37_chr20_sample.fa.gz"

# GUE prom_core_all (70 bp, promoter vs not). The shared copy's dev.csv equals its test.csv, so the sample's dev
# split is held out of GUE's training rows: train = training rows 1-4,000, dev = training rows 4,001-4,500,
# test = the first 500 rows of GUE's test split.
g=$src/gue/prom/prom_core_all
head -n 4001 "$g/train.csv" > "$here/gue/prom_core_all/train.csv"
{ head -n 1 "$g/train.csv"; sed -n '4002,4501p' "$g/train.csv"; } > "$here/gue/prom_core_all/dev.csv"
head -n 501 "$g/test.csv" > "$here/gue/prom_core_all/test.csv"
echo "samples written under $here"
