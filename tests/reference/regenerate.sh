#!/bin/sh
# Regenerates the parity goldens under tests/fixtures/model/parity/ from the PyTorch references.
# Needs PyTorch (Debian: apt-get install python3-torch; run with /usr/bin/python3). Deterministic: seeded weights and inputs.
set -e
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
for f in ref_bert.py ref_dnabert2.py ref_esm.py ref_albert.py ref_pickle.py ref_published.py ref_export_layout.py ref_ism.py; do "$PY" "$f"; done
