"""A strict reader of the MEME minimal motif format (version 4), written from its published description
(https://meme-suite.org/meme/doc/meme-format.html), independent of our writer. It checks, in order:

  MEME version 4[...]                       required, first non-blank line
  ALPHABET= ACGT                            optional; if present must be ACGT for DNA
  strands: + | strands: + -                 optional
  Background letter frequencies            optional; the next line: A p C p G p T p, each in [0,1], summing to 1
  MOTIF identifier [alternate name]         one per motif, identifiers unique
  letter-probability matrix: alength= 4 w= W [nsites= N] [E= e]
  W rows of 4 probabilities in [0,1], each row summing to 1 (+-0.01)
  URL ...                                   optional, after a matrix

Prints a JSON object {"background": [...], "motifs": [{"id", "alt", "w", "nsites", "E", "rows"}]} and exits 0, or
prints the first problem as "LINE: message" and exits 1. Usage: /usr/bin/python3 meme_check.py FILE
"""
import json
import re
import sys


def fail(n, msg):
    print(f"{n}: {msg}")
    sys.exit(1)


def main(path):
    lines = [(i + 1, l.rstrip("\n")) for i, l in enumerate(open(path, encoding="ascii"))]
    body = [(n, l.strip()) for n, l in lines if l.strip()]
    if not body or not re.fullmatch(r"MEME version 4(\.\d+)*", body[0][1]):
        fail(body[0][0] if body else 1, "the first line must be 'MEME version 4'")
    out = {"background": None, "motifs": []}
    i = 1
    seen = set()
    while i < len(body):
        n, l = body[i]
        if l.startswith("ALPHABET="):
            if l.split("=", 1)[1].strip() != "ACGT":
                fail(n, "ALPHABET must be ACGT")
            i += 1
        elif l.startswith("strands:"):
            if l.split(":", 1)[1].split() not in (["+"], ["+", "-"]):
                fail(n, "strands must be '+' or '+ -'")
            i += 1
        elif l == "Background letter frequencies" or l.startswith("Background letter frequencies "):
            if i + 1 >= len(body):
                fail(n, "background frequencies missing")
            n2, f = body[i + 1]
            parts = f.split()
            if len(parts) != 8 or parts[0::2] != ["A", "C", "G", "T"]:
                fail(n2, "expected 'A p C p G p T p'")
            freqs = [float(x) for x in parts[1::2]]
            if any(x < 0 or x > 1 for x in freqs) or abs(sum(freqs) - 1) > 0.01:
                fail(n2, "background frequencies must be probabilities summing to 1")
            out["background"] = freqs
            i += 2
        elif l.startswith("MOTIF "):
            words = l.split()
            if len(words) not in (2, 3):
                fail(n, "MOTIF takes an identifier and an optional alternate name")
            if words[1] in seen:
                fail(n, f"motif identifier {words[1]} repeated")
            seen.add(words[1])
            if i + 1 >= len(body):
                fail(n, "letter-probability matrix missing")
            n2, h = body[i + 1]
            m = re.fullmatch(r"letter-probability matrix:\s*alength=\s*(\d+)\s+w=\s*(\d+)(?:\s+nsites=\s*(\d+))?(?:\s+E=\s*(\S+))?\s*", h)
            if not m:
                fail(n2, "expected 'letter-probability matrix: alength= 4 w= W nsites= N E= e'")
            alength, w = int(m.group(1)), int(m.group(2))
            if alength != 4 or w < 1:
                fail(n2, "alength must be 4 and w positive")
            e = float(m.group(4)) if m.group(4) else None
            rows = []
            for r in range(w):
                if i + 2 + r >= len(body):
                    fail(n2, f"matrix has fewer than {w} rows")
                n3, row = body[i + 2 + r]
                vals = row.split()
                if len(vals) != 4:
                    fail(n3, "a matrix row needs 4 probabilities")
                try:
                    p = [float(v) for v in vals]
                except ValueError:
                    fail(n3, "not a number")
                if any(x < 0 or x > 1 for x in p) or abs(sum(p) - 1) > 0.01:
                    fail(n3, "a row must be probabilities summing to 1")
                rows.append(p)
            out["motifs"].append({"id": words[1], "alt": words[2] if len(words) == 3 else None, "w": w,
                                  "nsites": int(m.group(3)) if m.group(3) else None, "E": e, "rows": rows})
            i += 2 + w
        elif l.startswith("URL"):
            i += 1
        else:
            fail(n, f"unexpected line: {l[:40]}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
