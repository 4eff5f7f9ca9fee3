"""Synthetic sales activity for the demo: the newest synthetic leads as marketing sends them, and what reps did so far.

The leads arrive over the past weeks; each owner has a habit (ana is fast, chloe slow, dmitri lets hot leads
wait, a few leads nobody contacts), so some first contacts meet the grade's deadline, some are late and some leads
are still new and overdue now. Driven by each lead's true outcome: converted leads are accepted and mostly won some
days later (a few still open), the others are rejected at first contact with a reason that fits the lead
(disposable mail looks like spam, bought lists are unreachable, interns lack authority, tiny firms lack budget) or
accepted and then mostly lost. A few open leads are re-sent with more engagement, so they are rescored. The same
seed and `now` give the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPS = ("ana", "ben", "chloe", "dmitri", "eve")
# per owner: median hours to first contact, share of leads never contacted; dmitri lets hot leads wait (HOT_WAITER)
HABITS = {
    "ana": (0.4, 0.02),
    "ben": (2.0, 0.05),
    "chloe": (14.0, 0.08),
    "dmitri": (1.5, 0.12),
    "eve": (3.0, 0.04),
}
HOT_WAITER = "dmitri"
WEEKS = 6  # leads arrive over the past six weeks
RESENT_EVERY = 10
REASONS = ("bad fit", "no budget", "no authority", "no need", "unreachable", "duplicate", "spam")
BASE_WEIGHTS = np.array([0.24, 0.18, 0.1, 0.2, 0.18, 0.06, 0.04])
POST_OUTCOME = ("converted", "lead_status")  # known only after sales worked the lead: never sent with it


@dataclass(frozen=True)
class DemoSales:
    leads: Path
    outcomes: Path
    resent: Path


def _reason_weights(leads: pd.DataFrame) -> np.ndarray:
    """Per lead, how likely each rejection reason is, given what the lead looks like."""
    weights = np.tile(BASE_WEIGHTS, (len(leads), 1))
    column = {reason: i for i, reason in enumerate(REASONS)}

    def boost(mask: pd.Series, reason: str, factor: float) -> None:
        weights[mask.to_numpy(dtype=bool), column[reason]] *= factor

    def get(name: str) -> pd.Series:
        return leads.get(name, pd.Series("", index=leads.index)).astype(str)

    boost(get("email_domain_type") == "disposable", "spam", 12.0)
    boost(get("lead_source") == "purchased list", "unreachable", 3.0)
    boost(get("lead_source") == "purchased list", "bad fit", 2.0)
    boost(get("seniority").isin(["Intern", "Individual Contributor"]), "no authority", 3.0)
    boost(get("company_size") == "1-10", "no budget", 2.5)
    boost(get("email_domain_type") == "education", "bad fit", 3.0)
    return weights / weights.sum(axis=1, keepdims=True)


def _arrivals(n: int, now: datetime, rng: np.random.Generator) -> pd.DatetimeIndex:
    """`n` arrival times over the WEEKS weeks before `now`, oldest first (the leads keep their order)."""
    offsets = np.sort(rng.uniform(0.0, WEEKS * 7 * 24 * 3600.0, n))[::-1]  # seconds before now, largest first
    return pd.DatetimeIndex(pd.Timestamp(now) - pd.to_timedelta(offsets.round(), unit="s"))


def _contact_hours(owner: np.ndarray, hot: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hours from arrival to first contact, by each owner's habit (hot leads waiting longest with the waiter)."""
    median = np.array([HABITS[o][0] for o in owner])
    median = np.where(hot & (owner == HOT_WAITER), median * 40.0, median)
    return median * rng.lognormal(0.0, 0.9, len(owner))


def demo_sales(
    leads: pd.DataFrame, newest: int, seed: int, now: datetime | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the newest `newest` leads without post-outcome columns, with an owner and an arrival `created_at` over the
    past weeks up to `now`; their outcome events in time order, each with its `at`; a few of them re-sent later with
    more engagement, to be ingested after the outcomes so that they are rescored)."""
    at_now = pd.Timestamp(now or datetime.now(UTC)).tz_convert("UTC").floor("s")
    recent = leads.sort_values("created_at", kind="stable").tail(newest).reset_index(drop=True)
    n = len(recent)
    rng = np.random.default_rng(seed)
    owner = np.array(REPS)[rng.integers(0, len(REPS), n)]
    arrived = _arrivals(n, at_now, rng)
    converted = pd.to_numeric(recent["converted"], errors="coerce").fillna(0).to_numpy() == 1
    demo = pd.to_numeric(recent.get("requested_demo", pd.Series("0", index=recent.index)), errors="coerce")
    hot = converted | (demo.fillna(0).to_numpy() == 1)
    contact = arrived + pd.to_timedelta(_contact_hours(owner, hot, rng) * 3600.0, unit="s").round("s")
    ignored = rng.random(n) < np.array([HABITS[o][1] for o in owner])
    worked = ~ignored & (contact <= at_now)
    rejected = ~converted & (rng.random(n) < 0.55)
    close = contact + pd.to_timedelta(rng.uniform(2.0, 20.0, n) * 86400.0, unit="s").round("s")
    closed = (rng.random(n) < np.where(converted, 0.85, 0.8)) & (close <= at_now)
    weights = _reason_weights(recent)
    reason = [REASONS[rng.choice(len(REASONS), p=w)] for w in weights]
    contact_at, close_at = [_iso(t) for t in contact], [_iso(t) for t in close]
    events: list[dict[str, str | None]] = []
    for i in np.flatnonzero(worked):
        lead = {"lead_id": str(recent.at[i, "lead_id"]), "actor": str(owner[i]), "reason": None}
        if rejected[i]:
            events.append({**lead, "outcome": "rejected", "reason": reason[i], "at": contact_at[i]})
            continue
        events.append({**lead, "outcome": "accepted", "at": contact_at[i]})
        if closed[i]:
            events.append({**lead, "outcome": "won" if converted[i] else "lost", "at": close_at[i]})
    sent = recent.drop(columns=[c for c in POST_OUTCOME if c in recent.columns]).assign(
        created_at=[_iso(t) for t in arrived], owner=owner
    )
    columns = ["lead_id", "outcome", "reason", "actor", "at"]
    outcomes = pd.DataFrame(events, columns=columns).sort_values("at", kind="stable").reset_index(drop=True)
    still_open = ~worked | (worked & ~rejected & ~closed)  # new, or accepted and not yet won or lost
    return sent, outcomes, _resent(sent, still_open, rng)


def _iso(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _resent(sent: pd.DataFrame, still_open: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """About one open lead in RESENT_EVERY, re-sent as marketing sees more of it: more page views, a demo request."""
    picked = np.flatnonzero(still_open & (rng.random(len(sent)) < 1.0 / RESENT_EVERY))
    again = sent.iloc[picked].copy()
    for column, low, high in (("page_views", 4, 15), ("pricing_page_views", 1, 4), ("email_clicks", 1, 3)):
        if column in again.columns:
            base = pd.to_numeric(again[column], errors="coerce").fillna(0).astype(int)
            again[column] = (base + rng.integers(low, high, len(again))).astype(str)
    if "requested_demo" in again.columns:
        again["requested_demo"] = "1"
    if "days_since_last_activity" in again.columns:
        again["days_since_last_activity"] = "0"
    return again.reset_index(drop=True)


def write_demo_sales(
    leads_csv: str | Path, out: str | Path, newest: int = 2000, seed: int = 0, now: datetime | None = None
) -> DemoSales:
    """Write `recent_leads.csv`, `outcomes.csv` and `resent_leads.csv` into `out`: ingest the first with
    `leadscore ingest --data ... --arrived-at created_at --outcomes ...`, then the third the same way (rescored)."""
    table = pd.read_csv(leads_csv, dtype=str, keep_default_na=False)
    sent, outcomes, resent = demo_sales(table, newest, seed, now)
    folder = Path(out)
    files = DemoSales(folder / "recent_leads.csv", folder / "outcomes.csv", folder / "resent_leads.csv")
    folder.mkdir(parents=True, exist_ok=True)
    sent.to_csv(files.leads, index=False)
    outcomes.to_csv(files.outcomes, index=False)
    resent.to_csv(files.resent, index=False)
    return files
