"""Exact hypergeometric upper tails and Benjamini-Hochberg adjustments, for EnrichmentStatistics' golden test.

The tail P(X >= k) = sum_{i>=k} C(K, i) C(M-K, N-i) / C(M, N) is computed in exact rational arithmetic
(math.comb, fractions.Fraction) and only then rounded to a float, so it is exact to the last digit printed,
independent of any log-factorial summation. BH follows Benjamini & Hochberg (1995): q_(i) = min_{j>=i} p_(j) m / j.
Writes tests/fixtures/interpretation/hypergeom.tsv. Run: /usr/bin/python3 tests/reference/ref_hypergeom.py
"""
import math
import os
from fractions import Fraction

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "interpretation", "hypergeom.tsv")

# (population M, successes K, draws N, observed k)
CASES = [
    (10, 5, 5, 5), (10, 5, 5, 3), (10, 5, 5, 0), (20, 7, 12, 7), (50, 25, 10, 8), (100, 50, 30, 25),
    (300, 150, 40, 35), (1000, 500, 60, 55), (2000, 1000, 200, 190), (5000, 2500, 300, 300),
    (1000, 100, 50, 20), (400, 200, 3, 3), (64, 32, 1, 1), (30, 10, 25, 10), (30, 10, 25, 5),
]


def tail(m, k_succ, n, k):
    total = math.comb(m, n)
    s = sum(math.comb(k_succ, i) * math.comb(m - k_succ, n - i) for i in range(max(k, 0), min(k_succ, n) + 1))
    return Fraction(s, total)


def bh(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    best = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        best = min(best, p[i] * m / rank)
        q[i] = min(1.0, best)
    return q


def main():
    tails = [tail(*c) for c in CASES]
    floats = [float(t) for t in tails]
    logs = [math.log(t.numerator) - math.log(t.denominator) if t > 0 else float("-inf") for t in tails]
    q = bh(floats)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("population\tsuccesses\tdraws\tobserved\tp\tlog_p\tbh_q\n")
        for c, p, lp, qq in zip(CASES, floats, logs, q):
            f.write("\t".join(str(x) for x in c) + f"\t{p:.17g}\t{lp:.17g}\t{qq:.17g}\n")
    print(f"{len(CASES)} cases -> {OUT}")


if __name__ == "__main__":
    main()
