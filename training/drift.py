"""Drift at training time: do the newest leads differ from the older ones, feature by feature, in conversion, jointly?

With timestamps the newest `recent_fraction` of leads is compared with the rest. Without, the last rows of the file
are compared with the first ones (a randomly ordered file shows nothing), which also tells whether the file looks
ordered by time and so deserves a `timestamp:` in its schema.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import chi2
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from features.clean import LeadCleaner
from features.population_drift import floor_for, psi_terms
from features.schema import LeadSchema
from training.split import time_order

PSI_WATCH, PSI_ALERT = 0.1, 0.25  # the conventional bands: below 0.1 stable, 0.1-0.25 watch, above 0.25 alert
# PSI of two random samples is about chi2(bins - 1) * (1/n1 + 1/n2); a feature is flagged only when its PSI is in a
# band AND random samples of these sizes would reach it less often than this. Sparse bins make the tail of PSI ~10%
# heavier than chi2's, so 1 in 10,000 by chi2 keeps false flags under 1 in 1,000 features (simulated).
NOISE_P = 1e-4
BINS, TOP_CATEGORIES, MIN_BIN_ROWS = 10, 20, 10
MAX_ROWS = 20_000  # per window, drawn at random: PSI noise at 20k vs 20k is ~0.001, 1% of the watch band
MIN_ROWS = 30  # per window, below which the windows are not compared
RATE_RELATIVE = 0.2  # a conversion change under a fifth of the older rate is not worth a warning
Z95 = 1.959964  # rates are shown with 95% intervals
Z_SHIFT = 3.290527  # but a change is called only at 99.9%: the check runs on every training job
# The windows differ jointly when a classifier tells them apart with AUC >= 0.6 (a moderate effect at any table size)
# that random windows would not reach: 4 standard errors of one AUC above 0.5, because the mean of two fold AUCs
# varies ~1.3x more than one AUC (measured on 200 random frames); false alarms stay near 1 in 1,000 on tiny tables.
# Without timestamps this is the rule for "looks ordered by time" (unless a feature or the label explains the order):
# it weighs all features jointly, categories included, and a file in random order scores ~0.5 at any size (40
# shuffles of each real table: at most 0.53) while month-ordered sessions score 0.75.
DOMAIN_AUC, DOMAIN_Z, DOMAIN_ROUNDS = 0.6, 4.0, 40
DOMAIN_PARAMS = {"objective": "binary", "num_leaves": 15, "learning_rate": 0.1, "min_data_in_leaf": 20,
                 "num_threads": 1, "deterministic": True, "force_row_wise": True, "verbosity": -1}  # fmt: skip
COLUMNS = ["feature", "kind", "psi", "band", "psi_noise", "flagged", "moved", "missing_older", "missing_recent",
           "unseen_recent"]  # fmt: skip
# bin codes of the older and of the recent window, bin labels (missing last), share of unseen categories
Binned = tuple[np.ndarray, np.ndarray, list[str], float]
Rate = tuple[float, float, float]  # conversion rate, Wilson 95% low, high


@dataclass(frozen=True)
class DriftReport:
    """Older leads against the newest: per-feature PSI, conversion rates, domain AUC, and what to tell the user."""

    mode: str  # "time" (by timestamp) or "row order" (the first rows of the file against the last)
    older_rows: int
    recent_rows: int
    features: pd.DataFrame  # COLUMNS, one row per feature, largest PSI first
    rate_older: Rate
    rate_recent: Rate
    rate_shift: bool = False  # beyond chance (Newcombe interval excludes 0) and at least RATE_RELATIVE
    domain_auc: float | None = None
    looks_time_ordered: bool | None = None  # decided only without timestamps
    older_dates: tuple[str, str] | None = None
    recent_dates: tuple[str, str] | None = None
    warnings: list[str] = field(default_factory=list)  # drift worth acting on, one line each
    notes: list[str] = field(default_factory=list)  # what the check could not do, one line each

    def to_params(self) -> dict[str, str]:
        """Flat text for mlflow.log_params: how the windows were chosen, their sizes and dates."""
        dates = {f"drift_{w}_dates": " to ".join(d) for w, d in (("older", self.older_dates),
                                                               ("recent", self.recent_dates)) if d}  # fmt: skip
        rows = {"drift_older_rows": str(self.older_rows), "drift_recent_rows": str(self.recent_rows)}
        return {"drift_mode": self.mode, **rows, **dates}

    def to_metrics(self) -> dict[str, float]:
        """Flat numbers for mlflow.log_metrics; what could not be measured is left out."""
        psi, flagged, ordered = self.features["psi"], self.features["flagged"], self.looks_time_ordered
        metrics = {
            "drift_domain_auc": self.domain_auc,
            "drift_rate_older": self.rate_older[0],
            "drift_rate_recent": self.rate_recent[0],
            "drift_rate_change": self.rate_recent[0] - self.rate_older[0],
            "drift_psi_max": psi.max() if len(psi) else None,
            "drift_features_flagged": flagged.sum() if len(flagged) else None,
            "drift_looks_time_ordered": None if ordered is None else float(ordered),
        }
        return {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}

    def table(self) -> pd.DataFrame:
        """The per-feature table for mlflow.log_table."""
        return self.features.round(4)


def _pct(share: float) -> str:
    """18%, 4.3%: whole percents from 10% up, one decimal below."""
    return f"{100 * share:.0f}%" if 100 * share >= 9.95 else f"{100 * share:.1f}%"


def _bins(older: pd.Series, recent: pd.Series, kind: str) -> Binned:
    """Bin codes of both windows (deciles or top categories, then missing), bin labels, share of unseen categories.

    Bins come from both windows pooled, not from the older one alone: top categories picked in one window fit it
    by construction, so two samples of one population would already differ in "other values".
    """
    if kind == "numeric":
        a, b = older.to_numpy(float), recent.to_numpy(float)
        seen = np.r_[a[~np.isnan(a)], b[~np.isnan(b)]]
        bins = min(BINS, len(seen) // MIN_BIN_ROWS)  # a bin of a few leads is empty in one window by chance
        edges = np.unique(np.quantile(seen, np.linspace(0, 1, bins + 1)[1:-1])) if bins > 1 else np.empty(0)
        bounds = [f"{e:,.0f}" if abs(e) >= 100 else f"{e:.3g}" for e in edges]
        labels = [f"{lo} to {hi}" for lo, hi in itertools.pairwise(bounds)]
        labels = [f"< {bounds[0]}", *labels, f">= {bounds[-1]}"] if bounds else ["any value"]
        a, b = (
            np.where(np.isnan(v), len(edges) + 1, np.searchsorted(edges, v, side="right")) for v in (a, b)
        )
        return a, b, [*labels, "missing"], float("nan")
    if kind == "boolean":
        older, recent = (s.map({1.0: "yes", 0.0: "no"}) for s in (older, recent))
    counts = pd.concat([older, recent]).value_counts()
    top = pd.Index(
        sorted(counts.index[counts >= MIN_BIN_ROWS], key=lambda v: (-counts[v], str(v)))[:TOP_CATEGORIES]
    )
    a, b = (np.where(s.isna(), len(top) + 1, np.where((c := top.get_indexer(s)) < 0, len(top), c))
            for s in (older, recent))  # fmt: skip
    unseen = float((recent.notna() & ~recent.isin(older.dropna().unique())).mean())
    return a, b, [*map(str, top), "other values", "missing"], unseen


def _feature_row(name: str, kind: str, binned: Binned) -> dict[str, object]:
    """PSI of the recent window against the older one, its noise level, band, and the bins that moved most."""
    a, b, labels, unseen = binned
    p, q = (np.bincount(c, minlength=len(labels)) / len(c) for c in (a, b))
    # an empty bin counts as half a lead of the smaller window (at least 1e-4): one stray lead is not huge drift
    psi = float(psi_terms(p, q, floor_for(len(a), len(b))).sum())
    noise = float(chi2.ppf(1 - NOISE_P, max(np.count_nonzero(p + q) - 1, 1)) * (1 / len(a) + 1 / len(b)))
    moved = [i for i in np.argsort(-np.abs(q - p), kind="stable")[:2] if p[i] != q[i]]
    band = "alert" if psi > PSI_ALERT else "watch" if psi >= PSI_WATCH else "stable"
    text = "; ".join(f"{labels[i]} {_pct(p[i])} -> {_pct(q[i])}" for i in moved)
    values = [name, kind, psi, band, noise, psi >= PSI_WATCH and psi > noise, text, p[-1], q[-1], unseen]
    return dict(zip(COLUMNS, values, strict=True))


def _wilson(y: np.ndarray, z: float = Z95) -> Rate:
    """Conversion rate with its Wilson score interval, which stays inside [0, 1] for small windows and 0 conversions."""
    n = len(y)
    if n == 0:
        return (float("nan"),) * 3
    p, z2 = float(y.mean()), z**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, centre - half, centre + half


def _rate_shift(y_older: np.ndarray, y_recent: np.ndarray) -> bool:
    """Newcombe's interval for the difference of two Wilson-scored rates excludes 0, and the change is material."""
    (p1, l1, u1), (p2, l2, u2) = _wilson(y_older, Z_SHIFT), _wilson(y_recent, Z_SHIFT)
    low, high = p2 - p1 - np.hypot(p2 - l2, u1 - p1), p2 - p1 + np.hypot(u2 - p2, p1 - l1)
    return bool((low > 0 or high < 0) and abs(p2 - p1) >= RATE_RELATIVE * p1)


def _domain_auc(
    older: pd.DataFrame, recent: pd.DataFrame, binned: dict[str, Binned], numeric: list[str], seed: int
) -> float:
    """Mean 2-fold AUC of a small LightGBM telling recent rows from older ones (0.5: indistinguishable).

    Numbers go in as they are, categories as their bin codes (a new campaign counts as "other values").
    """
    X = np.column_stack([np.r_[older[c].to_numpy(float), recent[c].to_numpy(float)] if c in numeric
                         else np.r_[binned[c][0], binned[c][1]] for c in older.columns]).astype(float)  # fmt: skip
    t = np.r_[np.zeros(len(older)), np.ones(len(recent))]
    categorical = [i for i, c in enumerate(older.columns) if c not in numeric]
    aucs = []
    for fit, test in StratifiedKFold(2, shuffle=True, random_state=seed).split(X, t):
        data = lgb.Dataset(X[fit], t[fit], categorical_feature=categorical)
        booster = lgb.train({**DOMAIN_PARAMS, "seed": seed}, data, num_boost_round=DOMAIN_ROUNDS)
        aucs.append(roc_auc_score(t[test], np.asarray(booster.predict(X[test]))))
    return float(np.mean(aucs))


def _windows(
    n: int, timestamps: pd.Series | None, fraction: float, notes: list[str]
) -> tuple[np.ndarray, ...]:
    """Older and recent row positions: by time when any lead has one, else the first and last rows of the file."""
    if timestamps is None or timestamps.isna().all():
        if timestamps is not None:
            notes.append("every timestamp is missing: compared the first and last rows of the file instead")
        k = min(max(1, round(fraction * n)), n // 2)
        return np.arange(k), np.arange(n - k, n)
    if timestamps.isna().any():
        notes.append(f"{int(timestamps.isna().sum()):,} leads without a timestamp were counted as the oldest")
    order, cut = time_order(timestamps, n), n - max(1, round(fraction * n))
    return order[:cut], order[cut:]


def _dates(timestamps: pd.Series | None, rows: np.ndarray) -> tuple[str, str] | None:
    known = timestamps.iloc[rows].dropna() if timestamps is not None else pd.Series()
    return (f"{known.min():%Y-%m-%d}", f"{known.max():%Y-%m-%d}") if len(known) else None


def _sort_key(old_x: pd.DataFrame, new_x: pd.DataFrame, features: pd.DataFrame, y: np.ndarray) -> str | None:
    """A column the compared rows are sorted by, so that their order is that column and not time: the label, or a
    feature that moved a lot and only rises or only falls (numbers) or comes in one block per value (categories)."""
    both = pd.concat([old_x, new_x], ignore_index=True)
    moved = features.loc[features["flagged"] & (features["psi"] > PSI_ALERT)]
    columns = [(str(c), k, both[c].dropna()) for c, k in zip(moved["feature"], moved["kind"], strict=True)]
    for name, kind, v in [*columns, ("the label", "boolean", pd.Series(y))]:
        monotone = v.is_monotonic_increasing or v.is_monotonic_decreasing
        blocks = int((v != v.shift()).sum()) == v.nunique()
        if v.nunique() > 1 and (monotone if kind == "numeric" else blocks):
            return name
    return None


def _moved_most(features: pd.DataFrame) -> str:
    """'lead_source (PSI 0.31: paid search 18% -> 31%), utm_campaign (PSI 0.28)' for the top flagged features."""
    rows = features[features["flagged"]].head(3).to_dict("records")
    first = f": {str(rows[0]['moved']).split('; ')[0]}" if rows and rows[0]["moved"] else ""
    return ", ".join(
        f"{r['feature']} (PSI {r['psi']:.2f}{first if i == 0 else ''})" for i, r in enumerate(rows)
    )


def check_drift(
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    schema: LeadSchema,
    *,
    recent_fraction: float = 0.2,
    seed: int = 0,
) -> DriftReport:
    """Compare the newest leads (by time, else the last rows) with the older ones; odd data gives notes, not errors."""
    if not 0 < recent_fraction <= 0.5:
        raise ValueError(f"recent_fraction must be in (0, 0.5]; got {recent_fraction}")
    notes: list[str] = []
    older, recent = _windows(len(frame), timestamps, recent_fraction, notes)
    timed = timestamps is not None and not timestamps.isna().all()
    y = np.asarray(y, dtype=float)
    report = DriftReport(
        "time" if timed else "row order", len(older), len(recent), pd.DataFrame(columns=COLUMNS),
        _wilson(y[older]), _wilson(y[recent]), older_dates=_dates(timestamps, older) if timed else None,
        recent_dates=_dates(timestamps, recent) if timed else None, notes=notes,
    )  # fmt: skip
    if min(len(older), len(recent)) < MIN_ROWS:
        notes.append(f"too few leads to compare ({len(frame):,}; need {MIN_ROWS} in each compared window)")
        return report
    rng = np.random.default_rng(seed)
    cleaner = LeadCleaner(schema.to_dict()).fit(frame)
    old_x, new_x = (cleaner.transform(frame.iloc[np.sort(rng.choice(w, min(len(w), MAX_ROWS), replace=False))])
                    .reset_index(drop=True) for w in (older, recent))  # fmt: skip
    binned = {c: _bins(old_x[c], new_x[c], schema.kind(c)) for c in schema.features}
    rows = [_feature_row(c, schema.kind(c), binned[c]) for c in schema.features]
    features = pd.DataFrame(rows, columns=COLUMNS).sort_values("psi", ascending=False, kind="stable")
    features = features.reset_index(drop=True)
    auc = _domain_auc(old_x, new_x, binned, schema.numeric, seed)
    # the standard error of one AUC between random windows of these sizes
    auc_error = np.sqrt((len(old_x) + len(new_x) + 1) / (12 * len(old_x) * len(new_x)))
    differ = auc >= max(DOMAIN_AUC, 0.5 + DOMAIN_Z * auc_error)
    shift = _rate_shift(y[older], y[recent])
    rates = f"conversion {_pct(report.rate_older[0])} -> {_pct(report.rate_recent[0])}"
    share, warnings, ordered = f"{100 * recent_fraction:.0f}%", [], None
    if timed and (differ or shift or features["flagged"].any()):
        dates = f" ({' to '.join(report.recent_dates)})" if report.recent_dates else ""
        warnings.append(
            f"the newest {share} of leads{dates} differ from the older ones: {rates}"
            f"{'' if shift else ' (no clear change)'}; domain AUC {auc:.2f}; features that moved most: "
            f"{_moved_most(features) or 'none beyond sampling noise'}"
        )
    elif not timed:
        key = _sort_key(old_x, new_x, features, np.r_[y[older], y[recent]]) if differ else None
        ordered = differ and key is None
        if key:
            notes.append(f"the rows are sorted by {key}, so their order tells nothing about time")
        if ordered:
            moved = ", ".join(features.loc[features["flagged"], "feature"].head(3)) or "no single feature"
            warnings.append(
                f"the file has no timestamp but looks ordered by time (the last {share} of rows differ from the "
                f"first {share}: domain AUC {auc:.2f}; {rates}; {moved} moved most); add the lead's creation time "
                "as `timestamp:` in the schema so training validates on the newest leads"
            )
    return replace(report, features=features, rate_shift=shift, domain_auc=auc, looks_time_ordered=ordered,
                   warnings=warnings)  # fmt: skip
