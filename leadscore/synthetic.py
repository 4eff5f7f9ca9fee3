"""Synthetic B2B leads shaped like a CRM export, with each lead's true conversion probability (the oracle).

The lead source mix always drifts (covariate drift). `drift="strong"` adds concept drift, as campaigns, pricing and
a new sales team bring: the conversion rate climbs from about 6% to about 30%, the `requested_demo` effect fades
(only a decision maker's demo still counts: a self-serve plan makes demos optional), and the penalty for free mail
turns into a bonus (small teams buying that plan sign up with it). The change is a regime shift, smooth in the
creation time: it starts around month 7, is half done at month 10 and nearly complete by month 13, so the newest
leads live in a new, stable world that a model can learn from the newest training leads (a trend that never stops
would leave even a perfect model of the latest leads behind the oracle). It draws no randomness, so both settings
give the same leads for a seed and differ only in the outcome and the oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from features.schema import LeadSchema, dump_schema, parse_schema

START = np.datetime64("2025-05-01T00:00:00", "s")
END = np.datetime64("2026-11-01T00:00:00", "s")  # exclusive: the last lead is on 2026-10-31
MIN_ROWS = 100

# Source: share (logit), share drift over the 18 months, conversion effect, interest shift, missingness push.
# The share drift moves only the mix (covariate drift); concept drift is in DRIFTS, and no source effect drifts.
SOURCES: dict[str, tuple[float, float, float, float, float]] = {
    "web form": (0.8, -0.3, 0.25, 0.1, -0.3),
    "paid search": (0.5, 0.9, -0.15, 0.0, 0.0),
    "organic search": (0.4, 0.2, 0.1, 0.1, 0.0),
    "referral": (-0.8, 0.3, 0.9, 0.5, -0.5),
    "event": (-0.2, 0.0, 0.35, 0.3, 0.4),
    "partner": (-0.7, 0.4, 0.55, 0.2, -0.2),
    "purchased list": (0.3, -1.2, -1.1, -0.6, 1.0),
    "social": (-0.3, 0.9, -0.55, -0.2, 0.5),
}
# Campaign id prefix and number of dated campaigns per source (each source also has an always-on one).
CAMPAIGNS = {"web form": ("WEB", 40), "paid search": ("PPC", 110), "organic search": ("SEO", 20),
             "referral": ("REF", 15), "event": ("EVT", 60), "partner": ("PRT", 35),
             "purchased list": ("LST", 40), "social": ("SOC", 80)}  # fmt: skip
INDUSTRY = {
    "Software": (0.18, 0.4), "Financial Services": (0.11, 0.4), "Healthcare": (0.1, 0.0),
    "Manufacturing": (0.12, 0.0), "Retail": (0.1, 0.0), "Education": (0.07, -0.5),
    "Government": (0.05, -0.5), "Professional Services": (0.1, 0.0), "Media": (0.07, 0.0),
    "Nonprofit": (0.05, -0.5), "Telecommunications": (0.05, 0.4),
}  # fmt: skip
SIZE = {"1-10": (0.22, -0.8), "11-50": (0.25, -0.2), "51-200": (0.2, 0.3), "201-1000": (0.16, 0.5),
        "1001-5000": (0.1, 0.3), "5000+": (0.07, -0.1)}  # fmt: skip
COUNTRY = {
    "United States": (0.38, 0.15), "United Kingdom": (0.12, 0.15), "Canada": (0.07, 0.15), "Germany": (0.08, 0.0),
    "France": (0.05, 0.0), "Netherlands": (0.04, 0.0), "Australia": (0.05, 0.15), "India": (0.08, -0.4),
    "Brazil": (0.05, -0.4), "Spain": (0.03, 0.0), "Singapore": (0.02, 0.0), "Other": (0.03, -0.4),
}  # fmt: skip
SENIORITY = {"Intern": (0.06, -1.0), "Individual Contributor": (0.38, -0.3), "Manager": (0.26, 0.2),
             "Director": (0.15, 0.45), "VP": (0.08, 0.55), "C-Level": (0.07, 0.4)}  # fmt: skip
EMAIL = {"corporate": 0.3, "free": -0.45, "education": -0.7, "disposable": -1.5}  # DRIFTS move "free"
FREE_BY_SIZE = np.array([0.45, 0.25, 0.12, 0.07, 0.05, 0.04])
LOST = ["Closed Lost", "Disqualified", "Nurturing", "Unresponsive"]
BOOL_FORMATS = np.array([["false", "true"], ["0", "1"], ["FALSE", "TRUE"]])


@dataclass(frozen=True)
class Drift:
    """How far three coefficients of the true logit have moved from their base values, at START and at END."""

    intercept: tuple[float, float] = (0.0, 0.0)
    requested_demo: tuple[float, float] = (0.0, 0.0)  # on the demo effect: 0.9, +0.6 from a decision maker
    free_email: tuple[float, float] = (0.0, 0.0)  # on EMAIL["free"]


# Strong: base logit -3.8 -> -5.2 .. -2.2; demo effect 0.9 -> 1.6 .. 0.0; free mail -0.45 -> -1.05 .. +0.85.
DRIFTS = {
    "none": Drift(),
    "strong": Drift(intercept=(-1.4, 1.6), requested_demo=(0.7, -0.9), free_email=(-0.6, 1.3)),
}


@dataclass(frozen=True)
class SyntheticFiles:
    """Paths of one generated data set: the lead table, its schema file and the oracle probabilities."""

    leads: Path
    schema: Path
    truth: Path


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


SHIFT_MONTH, SHIFT_WIDTH = 10.0, 1.2  # the regime shift's midpoint and pace, in months since START


def _moved(change: tuple[float, float], t: np.ndarray) -> np.ndarray:
    """A coefficient's change at each lead's creation time: `start` before the shift, `end` after it."""
    start, end = change
    months = 18.0 * np.asarray(t, dtype=float)
    done = _sigmoid((months - SHIFT_MONTH) / SHIFT_WIDTH)
    first, last = _sigmoid(np.array([-SHIFT_MONTH, 18.0 - SHIFT_MONTH]) / SHIFT_WIDTH)
    return start + (end - start) * (done - first) / (last - first)


def _choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows, categories) weight matrix, vectorised."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), weights.shape[1] - 1)


def _choose(rng: np.random.Generator, table: dict[str, tuple[float, float]], n: int) -> np.ndarray:
    share = np.array([s for s, _ in table.values()])
    return rng.choice(len(table), size=n, p=share / share.sum())


def _effects(table: dict[str, tuple[float, float]]) -> np.ndarray:
    return np.array([e for _, e in table.values()])


def _field(
    table: dict[str, tuple[float, float]], index: np.ndarray, missing: np.ndarray, blank: np.ndarray
) -> np.ndarray:
    """Category names as exported: missing cells are empty, or keep the web form's 'Select' placeholder."""
    values = np.array(list(table), dtype=object)[index]
    values[missing] = np.where(blank[missing], "", "Select")
    return values


def _campaigns(rng: np.random.Generator) -> pd.DataFrame:
    """Campaigns per source: an always-on one plus dated ones with Zipf popularity and small own effects."""
    parts = []
    for s, (code, count) in enumerate(CAMPAIGNS.values()):
        start = rng.uniform(-0.3, 0.97, count)
        month = START.astype("datetime64[M]") + np.floor(np.maximum(start, 0) * 18).astype(int)
        names = [f"{code}-{str(m)[2:4]}{str(m)[5:7]}-{k:03d}" for k, m in enumerate(month, 1)]
        parts.append(pd.DataFrame({
            "name": [f"{code}-always-on", *names], "source": s,
            "start": [-1.0, *start], "end": [2.0, *(start + rng.uniform(0.15, 0.7, count))],
            "weight": 1.0 / rng.permutation(np.arange(1, count + 2)) ** 1.1,
            "effect": [0.0, *rng.normal(0.0, 0.1, count)],
        }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _assign_campaigns(
    rng: np.random.Generator, source: np.ndarray, t: np.ndarray, camps: pd.DataFrame
) -> np.ndarray:
    """Each lead picks one of its source's campaigns running at its creation time, by popularity."""
    chosen = np.empty(len(source), dtype=int)
    for s in range(len(SOURCES)):
        rows, own = np.flatnonzero(source == s), camps.index[camps["source"] == s].to_numpy()
        start, end = camps["start"].to_numpy()[own], camps["end"].to_numpy()[own]
        active = (start <= t[rows, None]) & (t[rows, None] < end)
        chosen[rows] = own[_choose_rows(rng, active * camps["weight"].to_numpy()[own])]
    return chosen


def generate_leads(rows: int, seed: int, drift: str = "none") -> tuple[pd.DataFrame, pd.Series]:
    """Return the raw lead table (as exported, strings and placeholders included) and each lead's true probability.

    The probability is the one at the lead's own creation time, concept drift included.
    """
    if drift not in DRIFTS:
        raise ValueError(f"drift must be one of {', '.join(DRIFTS)}, got {drift!r}")
    if rows < MIN_ROWS:
        raise ValueError(f"rows must be at least {MIN_ROWS} to give a usable table, got {rows}")
    moves = DRIFTS[drift]
    rng = np.random.default_rng(seed)
    n = rows
    t = np.sort(np.sqrt(1 + 3 * rng.random(n)) - 1)  # fraction of the 18 months; volume grows over time
    span = (END - START).astype(int)
    created = START + (t * span).astype("timedelta64[s]")

    share, mix_drift, src_eff, src_interest, src_missing = np.array(list(SOURCES.values())).T
    event, web, social = (list(SOURCES).index(s) for s in ("event", "web form", "social"))
    season = 0.4 * np.sin(2 * np.pi * (t * 18 - 4) / 12)[:, None] * (np.arange(len(SOURCES)) == event)
    source = _choose_rows(rng, np.exp(share + np.outer(t, mix_drift) + season))
    camps = _campaigns(rng)
    campaign = _assign_campaigns(rng, source, t, camps)

    industry, size = _choose(rng, INDUSTRY, n), _choose(rng, SIZE, n)
    country, seniority = _choose(rng, COUNTRY, n), _choose(rng, SENIORITY, n)
    p_free = FREE_BY_SIZE[size]
    p_edu = np.where(industry == list(INDUSTRY).index("Education"), 0.35, 0.02)
    p_disp = 0.02 + 0.04 * np.isin(source, [web, social])
    free = list(EMAIL).index("free")
    email = _choose_rows(rng, np.column_stack([1 - p_free - p_edu - p_disp, p_free, p_edu, p_disp]))

    # Latent interest drives engagement; the oracle sees only the observed columns, never this.
    decision_maker = seniority >= list(SENIORITY).index("Director")
    z = rng.normal(size=n) + src_interest[source] + 0.15 * decision_maker
    page_views = rng.poisson(np.exp(1.3 + 0.55 * z) * rng.gamma(2.0, 0.5, n)).astype(float)
    pricing = rng.binomial(page_views.astype(int), _sigmoid(-2.2 + 0.6 * z)).astype(float)
    opens = rng.poisson(np.exp(1.2 + 0.3 * z) * rng.gamma(3.0, 1 / 3, n))
    clicks = rng.binomial(opens, _sigmoid(-1.8 + 0.5 * z))
    downloads = rng.poisson(np.exp(-0.9 + 0.5 * z))
    webinar = rng.random(n) < _sigmoid(-2.0 + 0.6 * z + 0.8 * (source == event))
    demo = rng.random(n) < _sigmoid(-2.6 + 0.9 * z + 0.4 * decision_maker)
    days = np.floor(np.minimum(rng.exponential(np.exp(2.8 - 0.5 * z)), 365.0))

    # Weak leads leave more blanks: bought lists, free mail, low interest.
    weak = -0.9 * z + src_missing[source] + 0.6 * (email != 0)
    miss = {c: rng.random(n) < _sigmoid(b + weak) for c, b in
            (("industry", -2.2), ("company_size", -2.4), ("seniority", -2.0), ("country", -3.0))}  # fmt: skip
    untracked = rng.random(n) < _sigmoid(-2.6 + 0.5 * weak - 0.8 * t)
    inactive = rng.random(n) < _sigmoid(-3.0 + 0.5 * weak)
    page_views[untracked] = pricing[untracked] = np.nan
    days[inactive] = np.nan

    senior = decision_maker & ~miss["seniority"]
    logit = (
        -3.8 + src_eff[source] + camps["effect"].to_numpy()[campaign]
        + np.where(miss["industry"], -0.3, _effects(INDUSTRY)[industry])
        + np.where(miss["company_size"], -0.35, _effects(SIZE)[size])
        + np.where(miss["country"], -0.2, _effects(COUNTRY)[country])
        + np.where(miss["seniority"], -0.3, _effects(SENIORITY)[seniority])
        + np.array(list(EMAIL.values()))[email]
        + 0.35 * ((email == free) & (size == 0) & ~miss["company_size"])  # small firms often use free mail
        + np.where(untracked, -0.2, 0.35 * np.log1p(np.nan_to_num(page_views)))
        + np.where(untracked, 0.0, np.minimum(np.nan_to_num(pricing), 2) * 0.45)
        + 0.2 * np.log1p(clicks) + 0.15 * np.minimum(downloads, 4) + 0.35 * webinar
        + demo * (0.9 + 0.6 * senior)  # a demo asked for by a decision maker counts most
        + np.where(inactive, -0.3, 0.9 * np.exp(-np.nan_to_num(days) / 10) - 0.4 * (np.nan_to_num(days) > 60))
        # Concept drift comes last: with none every change is exactly zero, so the logit is the same to the bit.
        + _moved(moves.intercept, t) + demo * _moved(moves.requested_demo, t)
        + (email == free) * _moved(moves.free_email, t)
    )  # fmt: skip
    probability = _sigmoid(logit)
    converted = (rng.random(n) < probability).astype(int)
    # lead_status leaks the outcome; a few statuses are stale or mistyped, as in any CRM.
    won = (converted == 1) ^ (rng.random(n) < 0.01)
    status = np.where(won, "Closed Won", np.array(LOST)[rng.choice(len(LOST), n, p=[0.27, 0.3, 0.3, 0.13])])
    blank = rng.random((4, n)) < 0.5

    table = pd.DataFrame({
        "lead_id": [f"L{i:07d}" for i in range(1, n + 1)],
        "created_at": created.astype(str),
        "lead_source": np.array(list(SOURCES), dtype=object)[source],
        "utm_campaign": camps["name"].to_numpy()[campaign],
        "industry": _field(INDUSTRY, industry, miss["industry"], blank[0]),
        "company_size": _field(SIZE, size, miss["company_size"], blank[1]),
        "country": _field(COUNTRY, country, miss["country"], np.ones(n, dtype=bool)),
        "seniority": _field(SENIORITY, seniority, miss["seniority"], blank[3]),
        "email_domain_type": np.array(list(EMAIL), dtype=object)[email],
        "page_views": pd.array(page_views, dtype="Int64"),
        "pricing_page_views": pd.array(pricing, dtype="Int64"),
        "email_opens": opens, "email_clicks": clicks, "content_downloads": downloads,
        "attended_webinar": np.where(webinar, "Yes", "No"),
        "requested_demo": BOOL_FORMATS[rng.integers(0, 3, n), demo.astype(int)],
        "days_since_last_activity": pd.array(days, dtype="Int64"),
        "lead_status": status,
        "converted": converted,
    })  # fmt: skip
    return table, pd.Series(probability, index=table.index, name="true_probability")


def synthetic_schema() -> LeadSchema:
    """The schema file for the generated table: lead_status is post-outcome, so it is dropped."""
    fit = ["industry", "company_size", "country", "seniority", "email_domain_type"]
    activity = ["page_views", "pricing_page_views", "email_opens", "email_clicks", "content_downloads"]
    return parse_schema({
        "id": "lead_id", "label": "converted", "timestamp": "created_at",
        "numeric": [*activity, "days_since_last_activity"],
        "categorical": ["lead_source", "utm_campaign", *fit],
        "boolean": ["attended_webinar", "requested_demo"],
        "drop": ["lead_status"], "na_values": ["Select", ""],
        "groups": {"fit": fit, "engagement": [*activity, "attended_webinar", "requested_demo",
                                              "days_since_last_activity"]},
    }, source="synthetic schema")  # fmt: skip


def write_synthetic(
    out: Path, rows: int, seed: int, progress: bool = False, drift: str = "none"
) -> SyntheticFiles:
    """Generate and write leads.csv, schema.yaml and truth.csv into `out` (created if missing)."""
    out = Path(out)
    files = SyntheticFiles(leads=out / "leads.csv", schema=out / "schema.yaml", truth=out / "truth.csv")
    with tqdm(total=4, desc="generate", disable=not progress) as bar:
        table, probability = generate_leads(rows, seed, drift)
        out.mkdir(parents=True, exist_ok=True)
        bar.update()
        table.to_csv(files.leads, index=False)
        bar.update()
        files.schema.write_text(dump_schema(synthetic_schema()), encoding="utf-8")
        bar.update()
        truth = pd.DataFrame({"lead_id": table["lead_id"], "true_probability": probability})
        truth.to_csv(files.truth, index=False, float_format="%.6g")
        bar.update()
    return files
