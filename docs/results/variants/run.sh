#!/usr/bin/env bash
# Reproduces this folder's tables. DNAFM: a dnafm built from this commit; MODEL: the chr20-pretrained model directory.
set -euo pipefail
DNAFM=${DNAFM:-dnafm}
MODEL=${MODEL:-/work/runs/chr20/run/final}
DATA=${DATA:-/work/shared/data}
FA=$DATA/genomes/human/GRCh37_chr20.fa.gz
export OMP_WAIT_POLICY=PASSIVE   # see README: libgomp spin-waiting is ruinous on a shared 2-core machine
run() { local name=$1; shift; uptime | sed "s/^/[$name] /"; /usr/bin/time -f "[$name] wall %e s" "$DNAFM" score-variants --model "$MODEL" --fasta "$FA" --scores llr,embedding --window 512 --threads 1 "$@" 2> >(grep -v 'score-variants \[' >&2); }
run clinvar --vcf $DATA/variants/Clinvar_nc_snv_pathogenic_177Pos_177Neg.vcf --id-labels Clinvar:1,1000G:0 --output clinvar.tsv
run gwas    --vcf $DATA/variants/1000G_GWAS_704Pos_704Neg.vcf --id-labels GWAS:1,1000G:0 --output gwas.tsv
run indels  --vcf $DATA/variants/GRCh37_chr20_indels.vcf.gz --output indels.tsv
run gonl    --vcf $DATA/variants/GRCh37_chr20_gonl.vcf.gz --output gonl.tsv
