"""stats: a column's numeric profile statistics from its frequency table (distinct value, count).

A profile reads each column once (DuckDB's GROUP BY gives the value counts); everything else is
numpy over the distinct values, weighted by their counts: moments, exact percentiles with
linear interpolation (numpy's and DuckDB's ``quantile_cont``), the histogram, z-scores. The
formulas follow Spark, which DataBrew runs on: sample variance, population skewness and excess
kurtosis.
"""
from __future__ import annotations

import math

import numpy as np


def aggregate(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, their total counts)."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, np.bincount(inverse, weights=counts).astype(np.int64)


class Weighted:
    """Distinct sorted values with counts: the data set they stand for, without expanding it."""

    def __init__(self, values: np.ndarray, counts: np.ndarray):
        self.v, self.c = aggregate(np.asarray(values, dtype=np.float64), np.asarray(counts, dtype=np.int64))
        self.cum = np.cumsum(self.c)
        self.n = int(self.cum[-1]) if len(self.cum) else 0

    def at(self, rank: int) -> float:
        """The value at 0-based position ``rank`` of the sorted (expanded) data."""
        return float(self.v[np.searchsorted(self.cum, rank, side="right")])

    def quantile(self, q: float) -> float:
        h = (self.n - 1) * q
        low = math.floor(h)
        a, b = self.at(low), self.at(min(low + 1, self.n - 1))
        return a + (h - low) * (b - a)


def numeric(values: np.ndarray, counts: np.ndarray, settings: dict) -> dict:
    """min ... zScoreOutliersSample of the data that ``values`` (with ``counts``) stand for."""
    w = Weighted(values, counts)
    if w.n == 0:
        return {"min": None, "max": None, "mean": None, "sum": None, "standardDeviation": None, "variance": None,
                "range": None, "zerosCount": 0}
    v, c, n = w.v, w.c, w.n
    total = float((v * c).sum())
    mean = total / n
    dev = v - mean
    m2, m3, m4 = (float((c * dev ** k).sum()) / n for k in (2, 3, 4))
    var = m2 * n / (n - 1) if n > 1 else None
    std = math.sqrt(var) if var is not None else None
    p5, p25, p50, p75, p95 = (w.quantile(q) for q in (0.05, 0.25, 0.5, 0.75, 0.95))
    lo, hi = float(v[0]), float(v[-1])
    k = settings["extremes"]
    out = {"min": lo, "max": hi, "mean": mean, "sum": total, "standardDeviation": std, "variance": var,
           "range": hi - lo, "zerosCount": int(c[v == 0].sum()), "median": p50, "percentile5": p5,
           "percentile25": p25, "percentile75": p75, "percentile95": p95, "interquartileRange": p75 - p25,
           "skewness": m3 / m2 ** 1.5 if m2 else None, "kurtosis": m4 / m2 ** 2 - 3 if m2 else None,
           "medianAbsoluteDeviation": Weighted(np.abs(dev + mean - p50), c).quantile(0.5),
           "mode": float(v[int(np.argmax(c))]), "minimumValues": v[:k].tolist(), "maximumValues": v[::-1][:k].tolist(),
           "valueDistribution": histogram(v, c, lo, hi, settings["bins"])}
    threshold = settings["zScoreThreshold"]
    if std:
        z = dev / std
        edge = math.ceil(threshold)
        buckets = np.clip(np.floor(z), -edge - 1, edge).astype(np.int64) + edge + 1
        zcounts = np.bincount(buckets, weights=c, minlength=2 * edge + 2).astype(np.int64)
        out["zScoreDistribution"] = [{"bucket": ["-inf" if b == -edge - 1 else b, "inf" if b == edge else b + 1],
                                      "count": int(zcounts[b + edge + 1])} for b in range(-edge - 1, edge + 1)]
        far = np.abs(z) > threshold
        out["zScoreOutliersCount"] = int(c[far].sum())
        order = np.argsort(-np.abs(z[far]), kind="stable")[:settings["outlierSample"]]
        out["zScoreOutliersSample"] = [{"value": float(x), "zScore": float(s)}
                                       for x, s in zip(v[far][order], z[far][order])]
    else:
        out.update({"zScoreDistribution": [], "zScoreOutliersCount": 0, "zScoreOutliersSample": []})
    return out


def histogram(v: np.ndarray, c: np.ndarray, lo: float, hi: float, bins: int) -> list[dict]:
    """``bins`` equal-width buckets from min to max; the last bucket is open ([lo, "inf"])."""
    if hi <= lo:
        return [{"bucket": [lo, "inf"], "count": int(c.sum())}]
    width = (hi - lo) / bins
    index = np.minimum(np.floor((v - lo) / width).astype(np.int64), bins - 1)
    counts = np.bincount(index, weights=c, minlength=bins).astype(np.int64)
    return [{"bucket": [lo + b * width, "inf" if b == bins - 1 else lo + (b + 1) * width], "count": int(counts[b])}
            for b in range(bins)]
