"""Synthetic sales activity for the demo: the newest synthetic leads as marketing sends them, and what reps did so far.

Driven by each lead's true outcome: older leads are more likely worked; of the worked leads, converted ones are
accepted and mostly won (a few still open), the others are rejected with a reason that fits the lead (disposable
mail looks like spam, bought lists are unreachable, interns lack authority, tiny firms lack budget) or accepted
and then mostly lost. The same seed gives the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPS = ("ana", "ben", "chloe", "dmitri", "eve")
REASONS = ("bad fit", "no budget", "no authority", "no need", "unreachable", "duplicate", "spam")
BASE_WEIGHTS = np.array([0.24, 0.18, 0.1, 0.2, 0.18, 0.06, 0.04])
POST_OUTCOME = ("converted", "lead_status")  # known only after sales worked the lead: never sent with it


@dataclass(frozen=True)
class DemoSales:
    leads: Path
    outcomes: Path


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


def demo_sales(leads: pd.DataFrame, newest: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the newest `newest` leads without post-outcome columns, with an owner; their outcome events in order)."""
    recent = leads.sort_values("created_at", kind="stable").tail(newest).reset_index(drop=True)
    n = len(recent)
    rng = np.random.default_rng(seed)
    owner = np.array(REPS)[rng.integers(0, len(REPS), n)]
    age = 1.0 - np.arange(n) / max(n - 1, 1)  # 1 for the oldest lead of the window, 0 for the newest
    worked = rng.random(n) < 0.12 + 0.6 * age
    converted = pd.to_numeric(recent["converted"], errors="coerce").fillna(0).to_numpy() == 1
    rejected = ~converted & (rng.random(n) < 0.55)
    closed = rng.random(n) < np.where(converted, 0.85, 0.8)  # accepted leads that reached won or lost
    weights = _reason_weights(recent)
    reason = [REASONS[rng.choice(len(REASONS), p=w)] for w in weights]
    events: list[dict[str, str | None]] = []
    for i in np.flatnonzero(worked):
        lead = {"lead_id": str(recent.at[i, "lead_id"]), "actor": str(owner[i]), "reason": None}
        if rejected[i]:
            events.append({**lead, "outcome": "rejected", "reason": reason[i]})
            continue
        events.append({**lead, "outcome": "accepted"})
        if closed[i]:
            events.append({**lead, "outcome": "won" if converted[i] else "lost"})
    sent = recent.drop(columns=[c for c in POST_OUTCOME if c in recent.columns]).assign(owner=owner)
    outcomes = pd.DataFrame(events, columns=["lead_id", "outcome", "reason", "actor"])
    return sent, outcomes


def write_demo_sales(leads_csv: str | Path, out: str | Path, newest: int = 2000, seed: int = 0) -> DemoSales:
    """Write `recent_leads.csv` and `outcomes.csv` (for `leadscore ingest --data ... --outcomes ...`) into `out`."""
    table = pd.read_csv(leads_csv, dtype=str, keep_default_na=False)
    sent, outcomes = demo_sales(table, newest, seed)
    files = DemoSales(leads=Path(out) / "recent_leads.csv", outcomes=Path(out) / "outcomes.csv")
    files.leads.parent.mkdir(parents=True, exist_ok=True)
    sent.to_csv(files.leads, index=False)
    outcomes.to_csv(files.outcomes, index=False)
    return files
