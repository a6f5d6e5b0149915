"""Raw latency/error samples -> P99 with order-statistic CIs, bootstrap change CI, error-rate intervals, plot.

Why these methods: a P99 interval from order statistics needs no distribution assumption (the
rank of the true P99 among n samples is Binomial(n, 0.99)); the change between two P99s has no
closed form, so a two-sample percentile bootstrap (scipy.stats.bootstrap, fixed seed so the page
is reproducible, `batch` to bound memory); error rates use Wilson per side and Newcombe for the
difference (both stay inside [0, 1] at small counts where the Wald interval does not), plus a
two-proportion test from statsmodels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import KbError

VERSION = "slo-2"
QUANTILE = 0.99
SEED = 20260314
N_RESAMPLES = 2000


def read_samples(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(latency_ms, error 0/1) from a CSV with the header `latency_ms,error`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip().replace(" ", "") != "latency_ms,error":
        raise KbError(f"{path}:1: the header must be exactly `latency_ms,error` (one request per row)")
    lat: list[float] = []
    err: list[int] = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            x, e = float(parts[0]), int(parts[1])
            if not math.isfinite(x) or x < 0 or e not in (0, 1):
                raise ValueError
        except ValueError:
            raise KbError(
                f"{path}:{n}: {line[:60]!r} is not `latency_ms,error` with latency >= 0 and error 0 or 1"
            ) from None
        lat.append(x)
        err.append(e)
    if len(lat) < 2:
        raise KbError(f"{path}: needs raw samples (one row per request), found {len(lat)}")
    return np.asarray(lat), np.asarray(err)


def quantile_ci(x: np.ndarray, q: float, confidence: float) -> dict[str, Any]:
    """Distribution-free CI for the q-quantile: order statistics at ranks from Binomial(n, q)."""
    from scipy import stats  # imported here: ~1 s, needed only when a case is rendered

    n = len(x)
    s = np.sort(x)
    alpha = 1 - confidence
    lo = int(stats.binom.ppf(alpha / 2, n, q))  # 1-based rank l
    hi = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1  # 1-based rank u
    est = float(np.quantile(x, q, method="inverted_cdf"))
    if lo < 1 or hi > n:
        return {
            "estimate": est,
            "low": None,
            "high": None,
            "coverage": None,
            "n": n,
            "min_n": _min_n(q, confidence),
        }
    coverage = float(stats.binom.cdf(hi - 1, n, q) - stats.binom.cdf(lo - 1, n, q))
    return {
        "estimate": est,
        "low": float(s[lo - 1]),
        "high": float(s[hi - 1]),
        "ranks": [lo, hi],
        "coverage": coverage,
        "n": n,
    }


def _min_n(q: float, confidence: float) -> int:
    from scipy import stats  # imported here: ~1 s, needed only when a case is rendered

    n = 2
    while stats.binom.ppf(1 - (1 - confidence) / 2, n, q) + 1 > n:
        n += 1
    return n


def p99_change(before: np.ndarray, after: np.ndarray, confidence: float) -> dict[str, Any]:
    from scipy import stats  # imported here: ~1 s, needed only when a case is rendered

    def stat(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.quantile(b, QUANTILE, axis=axis) - np.quantile(a, QUANTILE, axis=axis))

    res = stats.bootstrap(
        (before, after),
        stat,
        confidence_level=confidence,
        n_resamples=N_RESAMPLES,
        method="percentile",
        vectorized=True,
        batch=200,
        random_state=np.random.default_rng(SEED),
    )
    return {
        "estimate": float(stat(before, after)),
        "low": float(res.confidence_interval.low),
        "high": float(res.confidence_interval.high),
        "resamples": N_RESAMPLES,
        "seed": SEED,
    }


def error_rates(before: np.ndarray, after: np.ndarray, confidence: float) -> dict[str, Any]:
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_confint,
        test_proportions_2indep,
    )

    alpha = 1 - confidence
    out: dict[str, Any] = {}
    for name, e in (("before", before), ("after", after)):
        k, n = int(e.sum()), len(e)
        lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
        out[name] = {"errors": k, "requests": n, "rate": k / n, "low": float(lo), "high": float(hi)}
    k1, n1, k2, n2 = (
        out["after"]["errors"],
        out["after"]["requests"],
        out["before"]["errors"],
        out["before"]["requests"],
    )
    lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=alpha)
    # With no errors (or only errors) on both sides the score test is undefined (0/0): report no test
    # rather than "p-value nan".
    pvalue = None
    if 0 < k1 + k2 < n1 + n2:
        pvalue = float(test_proportions_2indep(k1, n1, k2, n2, method="score", compare="diff").pvalue)
    out["change"] = {
        "estimate": k1 / n1 - k2 / n2,
        "low": float(lo),
        "high": float(hi),
        "pvalue": pvalue,
    }
    return out


def plot(
    before: np.ndarray, after: np.ndarray, p99: dict[str, Any], path: Path, labels: dict[str, str]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Deterministic SVG: fixed hash salt and no date, so an unchanged input gives an unchanged file.
    with matplotlib.rc_context({"svg.hashsalt": "kb-casebook", "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(7, 3.6))
        hi = float(max(np.quantile(before, 0.999), np.quantile(after, 0.999)))
        lo = float(max(min(before.min(), after.min()), 1e-3))
        bins = [float(b) for b in np.geomspace(lo, hi * 1.05, 60)]
        for data, key, colour in ((before, "before", "#d62728"), (after, "after", "#1f77b4")):
            ax.hist(data, bins=bins, histtype="step", density=True, color=colour, label=labels[key])
            ax.axvline(p99[key]["estimate"], color=colour, linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel(labels["x"])
        ax.set_ylabel(labels["y"])
        ax.legend(frameon=False)
        fig.tight_layout()
        fig.savefig(path, format="svg", metadata={"Date": None})
        plt.close(fig)


def render(before_path: Path, after_path: Path, out_dir: Path, confidence: float) -> dict[str, Any]:
    lb, eb = read_samples(before_path)
    la, ea = read_samples(after_path)
    p99 = {"before": quantile_ci(lb, QUANTILE, confidence), "after": quantile_ci(la, QUANTILE, confidence)}
    out_dir.mkdir(parents=True, exist_ok=True)
    # Axis labels are language-neutral units so one SVG serves both pages.
    plot(
        lb,
        la,
        p99,
        out_dir / "latency.svg",
        {"before": "before", "after": "after", "x": "latency (ms, log scale)", "y": "density"},
    )
    return {
        "confidence": confidence,
        "p99": p99,
        "change": p99_change(lb, la, confidence),
        "errors": error_rates(eb, ea, confidence),
        "plot": "latency.svg",
    }
