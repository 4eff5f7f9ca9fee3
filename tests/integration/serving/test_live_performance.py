"""Live performance on a real store (SQLite and PostgreSQL): leads written with known probabilities, outcomes drawn
from them (or from a shifted base rate), then measured by week and grade against what the probabilities expected."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from lead_store_fixtures import BACKENDS, PostgresDatabases

from features.schema import parse_schema
from serving.live_groups import LiveSettings
from serving.live_performance import LivePerformance, live_performance, model_holdout_auc
from serving.store import IncomingLead, LeadStore, OutcomeIn, ingest, labels_for, record_outcome
from serving.store.labels import DEFAULT_LABELS

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # ISO week 2026-W10
SETTINGS = LiveSettings(min_outcomes=100)


def grade(p: float) -> str:
    return "A" if p >= 0.4 else "B" if p >= 0.25 else "C" if p >= 0.12 else "D"


@dataclass(frozen=True)
class Block:
    """Leads created over `weeks` weeks from `start`, with what was drawn for them."""

    start: datetime
    weeks: int
    probability: np.ndarray
    status: list[str]

    @property
    def window(self) -> dict[str, datetime]:
        return {"since": self.start, "until": self.start + timedelta(weeks=self.weeks)}

    def final(self) -> np.ndarray:
        return np.isin(self.status, ["won", "lost", "rejected"])


def write_block(
    store: LeadStore,
    name: str,
    start: datetime,
    weeks: int,
    n: int,
    *,
    rng: np.random.Generator,
    **draw: float,
) -> Block:
    """n leads spread over the weeks' days; a `final` share of them gets an outcome drawn from p * `shift` (rejected
    or lost when not won); of the others, a `worked` / 2 share is accepted and the rest stays new."""
    p = np.clip(rng.beta(2, 8, n), 0.01, 0.95)
    day_of = np.arange(n) * (weeks * 7) // n
    created = [start + timedelta(days=int(d), hours=9) for d in day_of]
    for day in np.unique(day_of):
        ids = np.flatnonzero(day_of == day)
        leads = [
            IncomingLead(
                f"{name}-{i:04d}",
                {"lead_id": f"{name}-{i:04d}"},
                {"probability": p[i], "score": round(100 * p[i]), "grade": grade(p[i]), "model_version": "7"},
            )
            for i in ids
        ]
        ingest(store, leads, now=created[ids[0]])
    final = rng.random(n) < draw.get("final", 0.75)
    won = rng.random(n) < np.minimum(p * draw.get("shift", 1.0), 1.0)
    accepted_only = rng.random(n) < draw.get("worked", 1.0) * 0.5
    status: list[str] = []
    for i in range(n):
        lead_id = f"{name}-{i:04d}"
        steps = ["accepted", "won"] if won[i] else ["rejected"] if i % 3 else ["accepted", "lost"]
        if not final[i]:
            steps = ["accepted"] if accepted_only[i] else []
        for k, outcome in enumerate(steps):
            given = OutcomeIn(outcome, "spam" if outcome == "rejected" else None)
            record_outcome(
                store, lead_id, given, reasons=["spam"], now=created[i] + timedelta(hours=2 + 24 * k)
            )
        status.append(steps[-1] if steps else "new")
    return Block(start, weeks, p, status)


@dataclass(frozen=True)
class World:
    store: LeadStore
    calibrated: Block  # outcomes drawn from the stored probabilities
    shifted: Block  # outcomes drawn from twice the stored probabilities
    fresh: Block  # no outcome yet (a few accepted leads, still open)
    few: Block  # a dozen leads, every one won


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One store per backend for this module alone (the session's shared databases are emptied by other tests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('live-performance') / 'leads.db'}"
    else:
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        url = databases.create()
    store = LeadStore(url)
    store.migrate()
    rng = np.random.default_rng(14)
    yield World(
        store,
        write_block(store, "cal", MONDAY, 2, 360, rng=rng),
        write_block(store, "shift", MONDAY + timedelta(weeks=4), 2, 240, rng=rng, shift=2.0),
        write_block(store, "fresh", MONDAY + timedelta(weeks=8), 1, 200, rng=rng, final=0.0, worked=0.2),
        write_block(store, "few", MONDAY + timedelta(weeks=12), 1, 12, rng=rng, final=1.0, shift=100.0),
    )
    store.close()


def measure(world: World, block: Block, **options: Any) -> LivePerformance:
    settings = options.pop("settings", SETTINGS)
    return live_performance(world.store, DEFAULT_LABELS, **block.window, settings=settings, **options)


def plain(value: Any) -> bool:
    """JSON-ready all the way down: no numpy scalars or arrays."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


def test_outcomes_drawn_from_the_probabilities_are_within_the_interval_and_raise_nothing(
    world: World,
) -> None:
    block = world.calibrated
    result = measure(world, block, holdout_auc=0.70)
    assert result.alerts == [] and result.labels == "won = 1; lost+rejected = 0"
    overall = result.to_dict()["overall"]
    final = block.final()
    won = np.array(block.status) == "won"
    assert overall["leads"] == 360 and overall["final"] == final.sum()
    assert overall["open"] == 360 - final.sum()  # new and accepted leads are open, not negatives
    observed = overall["observed"]
    assert observed["conversions"] == won.sum() and observed["rate"] == pytest.approx(won.sum() / final.sum())
    assert observed["expected_conversions"] == pytest.approx(block.probability[final].sum())
    low, high = observed["interval"]
    assert observed["expected_inside"] and low <= observed["expected_rate"] <= high
    assert observed["roc_auc"]["low"] <= observed["roc_auc"]["value"] <= observed["roc_auc"]["high"]
    assert observed["ece"]["value"] < 0.1
    assert overall["expected"]["conversions"] == pytest.approx(block.probability.sum())
    sales = overall["sales"]
    assert (
        sales["won"] == won.sum()
        and sales["contacted"] == sales["accepted"] + sales["won"] + sales["lost"] + (sales["rejected"])
    )
    assert sales["mean_hours_to_contact"] == pytest.approx(2.0)
    assert [w["key"] for w in result.to_dict()["weeks"]] == ["2026-W10", "2026-W11"]
    assert [g.key for g in result.grades] == ["A", "B", "C", "D"]
    assert result.model_versions == {"7": 360}
    assert plain(result.to_dict()) and json.loads(json.dumps(result.to_dict())) == result.to_dict()


def test_a_shifted_base_rate_raises_the_conversion_and_ece_alerts(world: World) -> None:
    result = measure(world, world.shifted, settings=replace(SETTINGS, min_outcomes=40))  # grades judged too
    alerts = {(a.metric, a.subject): a for a in result.alerts}
    conversion = alerts[("conversion", "overall")]
    assert conversion.value > 1.5 * conversion.threshold  # observed about twice the expected rate
    assert "conversion overall: observed" in conversion.message and "expected" in conversion.message
    assert ("ece", "overall") in alerts and alerts[("ece", "overall")].threshold == 0.05
    assert {m for m, _ in alerts} == {"conversion", "ece"}
    graded = [s for m, s in alerts if m == "conversion" and s != "overall"]
    judged = [g.key for g in result.grades if g.count("final") >= 40]
    assert graded and all(s.removeprefix("grade ") in judged for s in graded)
    assert (
        f"{1 - 0.05 / (1 + len(judged)):.1%} interval" in conversion.message
    )  # one chance in 20 for them all


def test_roc_auc_is_judged_against_the_models_holdout_when_it_has_one(world: World) -> None:
    block = world.calibrated
    assert measure(world, block, holdout_auc=0.70).alerts == []
    (alert,) = measure(world, block, holdout_auc=0.99).alerts
    assert (alert.metric, alert.subject, alert.threshold) == ("roc_auc", "overall", pytest.approx(0.94))
    assert "ROC AUC not judged: the model records no holdout ROC AUC" in " ".join(measure(world, block).notes)
    assert model_holdout_auc({"holdout_metrics": {"roc_auc": 0.81, "n": 400}}) == 0.81
    assert model_holdout_auc({"run_id": "abc"}) is None


def test_a_window_without_outcomes_shows_expected_numbers_only(world: World) -> None:
    block = world.fresh
    result = measure(world, block)
    assert result.alerts == [] and "expected numbers only" in result.notes[0]
    (week,) = result.to_dict()["weeks"]
    assert week["key"] == "2026-W18" and week["pending"] and week["final"] == 0 and week["open"] == 200
    assert week["observed"]["rate"] is None and week["observed"]["interval"] is None
    assert week["observed"]["roc_auc"] is None and week["sales"]["accepted"] > 0
    p = block.probability
    assert week["expected"]["conversions"] == pytest.approx(p.sum())
    assert week["expected"]["rate"] == pytest.approx(p.mean())
    exact = sum(pi * (1 - pj) * (1.0 if pi > pj else 0.5 if pi == pj else 0.0) for pi in p for pj in p)
    assert week["expected"]["roc_auc"] == pytest.approx(exact / (p.sum() * (1 - p).sum()), abs=1e-3)


def test_the_schemas_label_mapping_decides_which_leads_count(world: World) -> None:
    schema = parse_schema(
        {
            "id": "lead_id",
            "label": {"column": "stage", "positive": ["Accepted", "Won"], "negative": ["Rejected"]},
            "numeric": ["page_views"],
        }
    )
    result = live_performance(world.store, labels_for(schema), **world.fresh.window, settings=SETTINGS)
    accepted = world.fresh.status.count("accepted")
    assert result.labels == "accepted+won = 1; rejected = 0" and accepted > 0
    assert (result.overall.count("final"), result.overall.count("positives")) == (accepted, accepted)
    assert result.overall.count("open") == 200 - accepted  # the new leads


def test_a_few_leads_never_alarm_and_the_result_says_why(world: World) -> None:
    result = measure(world, world.few)
    overall = result.to_dict()["overall"]
    assert overall["final"] == 12 and overall["observed"]["rate"] == 1.0  # every lead won, far above expected
    assert not overall["observed"]["expected_inside"]
    assert result.alerts == []
    assert "conversion not judged for overall (12)" in result.notes[0]
    assert "ECE and ROC AUC not judged: 12 leads with a final outcome, need 100" in result.notes
    assert overall["observed"]["ece"] is None and overall["observed"]["roc_auc"] is None


def test_weeks_still_open_are_pending_beside_weeks_whose_outcomes_are_in(world: World) -> None:
    window = {"since": MONDAY, "until": world.fresh.start + timedelta(weeks=1)}
    result = live_performance(world.store, DEFAULT_LABELS, **window, settings=SETTINGS)
    pending = {w.key: w.pending for w in result.weeks}
    assert pending == {
        "2026-W10": False,
        "2026-W11": False,
        "2026-W14": False,
        "2026-W15": False,
        "2026-W18": True,
    }
    assert result.weeks[-1].roc_auc is None and result.weeks[0].roc_auc is not None


def same(a: Any, b: Any) -> bool:
    """Equal, floats up to the last bits (sums over pages add in another order)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is float:
        return type(b) is float and math.isclose(a, b, rel_tol=1e-12)
    return bool(a == b and type(a) is type(b))


def test_reading_in_tiny_pages_gives_the_same_result_and_so_does_running_again(world: World) -> None:
    one_read = measure(world, world.calibrated, holdout_auc=0.7).to_dict()
    assert (
        measure(world, world.calibrated, holdout_auc=0.7).to_dict() == one_read
    )  # bootstrap seeded: no drift
    paged = measure(world, world.calibrated, holdout_auc=0.7, settings=replace(SETTINGS, chunk_size=7))
    assert same(paged.to_dict(), one_read)
    assert not same(measure(world, world.shifted).to_dict()["overall"], one_read["overall"])
