"""`leadscore ingest` on both backends: a file of leads scored as the API scores them, stored once, outcomes enforced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from small_models import registered_as
from sqlalchemy import func, select
from typer.testing import CliRunner

from features.tables import load_table
from leadscore.cli import app
from leadscore.synthetic import write_synthetic
from leadscore.synthetic_outcomes import DemoSales, write_demo_sales
from serving.store import LeadStore, outcome_events, score_history
from serving.store.dashboard import weekly_trend
from serving.store.tables import Lead, Outcome, Score
from training.train import TrainOutcome

MODEL = "ingest-leads"
runner = CliRunner()


@pytest.fixture(scope="module")
def champion(small_model) -> TrainOutcome:  # type: ignore[no-untyped-def]
    return registered_as(small_model[1], MODEL)


@pytest.fixture(scope="module")
def sales(tmp_path_factory: pytest.TempPathFactory) -> DemoSales:
    """400 new leads (another synthetic draw than the training one) and what sales did with them."""
    files = write_synthetic(tmp_path_factory.mktemp("ingest-new"), rows=1000, seed=22)
    return write_demo_sales(files.leads, files.leads.parent, newest=400, seed=3)


def ingest(store: LeadStore, *args: str) -> Any:
    command = ["ingest", "--database", store.url, "--model", f"models:/{MODEL}@champion", "--no-progress"]
    return runner.invoke(app, [*command, *args])


def count(store: LeadStore, table: type[Lead] | type[Score] | type[Outcome]) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def stored_leads(store: LeadStore) -> pd.DataFrame:
    with store.transaction() as session:
        rows = session.execute(
            select(Lead.lead_id, Lead.probability, Lead.grade, Lead.status, Lead.owner).order_by(Lead.lead_id)
        ).all()
    return pd.DataFrame(rows, columns=["lead_id", "probability", "grade", "status", "owner"]).set_index(
        "lead_id"
    )


def one_line_error(result: Any, *words: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_leads_and_outcomes_are_stored_as_the_api_would(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore
) -> None:
    result = ingest(lead_store, "--data", str(sales.leads), "--outcomes", str(sales.outcomes))
    assert result.exit_code == 0, result.output
    assert f"stored 400 leads from {sales.leads}" in result.stdout
    assert f"400 new, 0 updated; scored by {MODEL} version {champion.registered.version}" in result.stdout

    leads = stored_leads(lead_store)
    sent = load_table(sales.leads).set_index("lead_id")
    assert sorted(leads.index) == sorted(sent.index)
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion").unwrap_python_model()
    batch = model.score_frame(sent.reset_index()).set_index("lead_id")  # the batch path, as `leadscore score`
    assert np.allclose(leads.loc[batch.index, "probability"], batch["probability"], rtol=0, atol=1e-12)
    assert (leads.loc[batch.index, "grade"] == batch["grade"]).all()
    assert (leads["owner"] == sent.loc[leads.index, "owner"]).all()  # indexed from the payload

    events = pd.read_csv(sales.outcomes)
    final = events.groupby("lead_id")["outcome"].last()
    assert (leads.loc[final.index, "status"] == final).all()
    assert (leads.drop(final.index)["status"] == "new").all()
    counts = events["outcome"].value_counts()
    assert f"{len(events):,} recorded" in result.stdout and f"won {counts['won']}" in result.stdout
    won = final[final == "won"].index[0]
    assert [e.outcome for e in outcome_events(lead_store, won)] == ["accepted", "won"]
    rejected = events[events["outcome"] == "rejected"].iloc[0]
    [event] = outcome_events(lead_store, rejected["lead_id"])
    assert (event.reason, event.actor) == (rejected["reason"], rejected["actor"])


def test_loading_the_same_files_again_updates_and_never_duplicates(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore
) -> None:
    first = ingest(lead_store, "--data", str(sales.leads), "--outcomes", str(sales.outcomes))
    assert first.exit_code == 0, first.output
    before = stored_leads(lead_store)
    again = ingest(lead_store, "--data", str(sales.leads), "--outcomes", str(sales.outcomes))
    assert again.exit_code == 0, again.output
    events = len(pd.read_csv(sales.outcomes))
    assert "0 new, 400 updated" in again.stdout
    assert f"0 recorded (none), {events:,} already recorded" in again.stdout
    assert count(lead_store, Lead) == 400 and count(lead_store, Outcome) == events
    assert count(lead_store, Score) == 800  # every load adds a score-history row per lead
    pd.testing.assert_frame_equal(stored_leads(lead_store), before)  # statuses kept, same scores
    assert len(score_history(lead_store, str(before.index[0]))) == 2


def arrivals(store: LeadStore) -> pd.DataFrame:
    with store.transaction() as session:
        rows = session.execute(select(Lead.lead_id, Lead.created_at, Lead.status, Lead.status_at)).all()
    table = pd.DataFrame(rows, columns=["lead_id", "created_at", "status", "status_at"]).set_index("lead_id")
    for column in ("created_at", "status_at"):
        table[column] = pd.to_datetime(table[column], utc=True)  # SQLite hands back naive UTC
    return table.sort_index()


def test_arrived_at_loads_history_and_a_re_sent_lead_keeps_its_arrival(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore
) -> None:
    first = ingest(
        lead_store,
        "--data",
        str(sales.leads),
        "--arrived-at",
        "created_at",
        "--outcomes",
        str(sales.outcomes),
    )
    assert first.exit_code == 0, first.output
    sent = load_table(sales.leads).set_index("lead_id")
    stored = arrivals(lead_store)
    expected = pd.to_datetime(sent["created_at"], utc=True)
    assert (stored["created_at"] == expected[stored.index]).all()
    new = stored[stored["status"] == "new"]
    assert len(new) > 0 and (new["status_at"] == new["created_at"]).all()  # still new since it arrived
    assert len({row["week"] for row in weekly_trend(lead_store)}) >= 6  # the demo's leads span six weeks

    resent = load_table(sales.resent)
    again = ingest(lead_store, "--data", str(sales.resent), "--arrived-at", "created_at")
    assert again.exit_code == 0, again.output
    assert f"0 new, {len(resent)} updated" in again.stdout
    pd.testing.assert_frame_equal(arrivals(lead_store), stored)  # arrival and status kept
    lead_id = str(resent["lead_id"].iloc[0])
    assert len(score_history(lead_store, lead_id)) == 2
    assert count(lead_store, Score) == len(sent) + len(resent)


def test_bad_arrival_times_are_one_line_naming_the_column_and_row(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore, tmp_path: Path
) -> None:
    table = pd.read_csv(sales.leads, dtype=str, keep_default_na=False).head(20)
    path = tmp_path / "arrivals.csv"
    table.to_csv(path, index=False)
    one_line_error(ingest(lead_store, "--data", str(path), "--arrived-at", "arrived"), "no column 'arrived'")
    for value, words in (
        ("last tuesday", ("not a date or time", "'last tuesday'")),
        ("2999-01-01T00:00:00Z", ("in the future",)),
        ("", ("empty",)),
    ):
        bad = table.copy()
        bad.loc[4, "created_at"] = value
        bad.to_csv(path, index=False)
        line = one_line_error(ingest(lead_store, "--data", str(path), "--arrived-at", "created_at"), *words)
        assert "arrivals.csv row 5: created_at:" in line
    assert count(lead_store, Lead) == 0  # nothing stored


def test_a_bad_row_stores_nothing_and_names_the_row_and_field(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore, tmp_path: Path
) -> None:
    table = pd.read_csv(sales.leads, dtype=str, keep_default_na=False)
    bad = table.copy()
    bad.loc[6, "page_views"] = "lots"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    one_line_error(
        ingest(lead_store, "--data", str(tmp_path / "bad.csv")), "bad.csv row 7", "page_views", "'lots'"
    )
    twice = pd.concat([table.head(3), table.head(1)])
    twice.to_csv(tmp_path / "twice.csv", index=False)
    one_line_error(ingest(lead_store, "--data", str(tmp_path / "twice.csv")), "row 4", "also on row 1")
    table.drop(columns=["lead_id"]).to_csv(tmp_path / "no_id.csv", index=False)
    one_line_error(ingest(lead_store, "--data", str(tmp_path / "no_id.csv")), "no column 'lead_id'")
    one_line_error(ingest(lead_store, "--data", str(tmp_path / "missing.csv")), "not found")
    assert count(lead_store, Lead) == 0


def test_absent_feature_columns_are_named_once_or_refused_as_score_does(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore, tmp_path: Path
) -> None:
    table = pd.read_csv(sales.leads, dtype=str, keep_default_na=False)
    export = table.drop(columns=["email_clicks", "attended_webinar"]).rename(columns={"industry": "Industry"})
    export.to_csv(tmp_path / "export.csv", index=False)
    strict = ingest(lead_store, "--data", str(tmp_path / "export.csv"), "--strict")
    assert one_line_error(strict) == (
        "error: export.csv lacks 3 of the model's 15 feature columns: 'email_clicks', 'attended_webinar', "
        "'industry' (did you mean 'Industry'?); --strict refuses a file without every feature column"
    )
    table[["lead_id", "owner"]].to_csv(tmp_path / "ids.csv", index=False)
    one_line_error(
        ingest(lead_store, "--data", str(tmp_path / "ids.csv")), "ids.csv has none of the model's 15"
    )
    assert count(lead_store, Lead) == 0

    result = ingest(lead_store, "--data", str(tmp_path / "export.csv"))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: export.csv lacks 3 of the model's 15 feature columns: 'email_clicks', 'attended_webinar', "
        "'industry' (did you mean 'Industry'?); all 400 leads are scored as if those were missing "
        "(--strict refuses such a file)"
    ]
    assert count(lead_store, Lead) == 400


def test_bad_outcomes_name_the_row_and_keep_the_store_consistent(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore, tmp_path: Path
) -> None:
    table = pd.read_csv(sales.leads, dtype=str, keep_default_na=False).head(5)
    table.to_csv(tmp_path / "leads.csv", index=False)
    assert ingest(lead_store, "--data", str(tmp_path / "leads.csv")).exit_code == 0
    ids = table["lead_id"].tolist()

    def outcomes(rows: list[dict[str, str]], name: str = "outcomes.csv") -> str:
        pd.DataFrame(rows).to_csv(tmp_path / name, index=False)
        return str(tmp_path / name)

    unknown = outcomes(
        [{"lead_id": ids[0], "outcome": "accepted"}, {"lead_id": "nobody", "outcome": "accepted"}]
    )
    one_line_error(
        ingest(lead_store, "--data", str(tmp_path / "leads.csv"), "--outcomes", unknown), "row 2", "'nobody'"
    )
    assert count(lead_store, Outcome) == 0  # checked before anything is recorded
    reason = outcomes([{"lead_id": ids[0], "outcome": "rejected", "reason": "too pricey"}])
    one_line_error(
        ingest(lead_store, "--data", str(tmp_path / "leads.csv"), "--outcomes", reason), "row 1", "reason"
    )
    column = outcomes([{"lead_id": ids[0], "outcome": "won", "stage": "x"}])
    one_line_error(ingest(lead_store, "--data", str(tmp_path / "leads.csv"), "--outcomes", column), "'stage'")
    when = outcomes([{"lead_id": ids[0], "outcome": "accepted", "at": "soon"}])
    one_line_error(
        ingest(lead_store, "--data", str(tmp_path / "leads.csv"), "--outcomes", when), "row 1", "at:"
    )
    assert count(lead_store, Outcome) == 0

    flow = [
        {"lead_id": ids[1], "outcome": "accepted", "at": "2026-11-02T10:00:00Z"},
        {"lead_id": ids[1], "outcome": "won", "at": "2026-11-20T16:30:00Z"},
        {"lead_id": ids[1], "outcome": "rejected", "reason": "spam"},
    ]
    line = one_line_error(
        ingest(lead_store, "--data", str(tmp_path / "leads.csv"), "--outcomes", outcomes(flow)),
        "row 3",
        "won -> rejected",
    )
    assert "2 rows before it are recorded" in line
    assert stored_leads(lead_store).loc[ids[1], "status"] == "won"
    events = outcome_events(lead_store, ids[1])
    assert [(e.outcome, e.at.isoformat()) for e in events] == [
        ("accepted", "2026-11-02T10:00:00+00:00"),
        ("won", "2026-11-20T16:30:00+00:00"),
    ]


def test_unreachable_store_or_model_is_one_line(
    champion: TrainOutcome, sales: DemoSales, lead_store: LeadStore
) -> None:
    down = runner.invoke(
        app,
        [
            "ingest",
            "--data",
            str(sales.leads),
            "--database",
            "postgresql+psycopg://postgres:pw@127.0.0.1:1/x",
        ],
    )
    line = one_line_error(down, "unreachable")
    assert "pw" not in line
    nothing = runner.invoke(
        app,
        [
            "ingest",
            "--data",
            str(sales.leads),
            "--database",
            lead_store.url,
            "--model",
            "models:/no-such@champion",
        ],
    )
    one_line_error(nothing, "--model", "models:/no-such@champion")
    assert count(lead_store, Lead) == 0
