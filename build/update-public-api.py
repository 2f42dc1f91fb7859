#!/usr/bin/env python3
"""Brings each library's PublicAPI.Unshipped.txt in line with its code, from the analyzer's own diagnostics.

Builds the solution, then for every RS0016 ("symbol X is not part of the declared public API") adds X to the
project's PublicAPI.Unshipped.txt and for every RS0017 ("X is part of the declared API, but ... could not be found")
removes X, until the build has none left. Review the diff: it is the change to the public surface.
Usage: build/update-public-api.py   (from anywhere; uses the repository that holds this file)
"""
import os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pattern = re.compile(r"^(?P<file>/[^(]+)\(\d+,\d+\): error (?P<code>RS0016|RS0017): Symbol '(?P<sym>.+?)' is (?:not )?part of the declared", re.M)

for attempt in range(5):
    out = subprocess.run(["dotnet", "build", os.path.join(root, "DnaFoundation.sln")], capture_output=True, text=True).stdout
    found = {(m["file"], m["code"], m["sym"]) for m in pattern.finditer(out)}
    if not found:
        print("public API files are up to date")
        sys.exit(0)
    edits = {}
    for file, code, sym in found:
        d = os.path.dirname(file)
        while not os.path.exists(os.path.join(d, "PublicAPI.Unshipped.txt")):
            d = os.path.dirname(d)
        edits.setdefault(os.path.join(d, "PublicAPI.Unshipped.txt"), []).append((code, sym))
    for path, changes in edits.items():
        lines = open(path).read().splitlines()
        header, body = lines[:1], set(lines[1:])
        for code, sym in changes:
            (body.add if code == "RS0016" else body.discard)(sym)
        open(path, "w").write("\n".join(header + sorted(body, key=lambda s: s.lstrip("~").replace("static ", "").replace("override ", "").replace("abstract ", "").replace("virtual ", "").replace("const ", ""))) + "\n")
        print(f"{os.path.relpath(path, root)}: {sum(c == 'RS0016' for c, _ in changes)} added, {sum(c == 'RS0017' for c, _ in changes)} removed")
sys.exit("public API files still disagree with the code after 5 rounds")
