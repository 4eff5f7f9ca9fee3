"""`leadscore retrain`: a challenger trained on stored outcomes, promoted by the usual rule, with its lineage in MLflow."""

from __future__ import annotations

import shlex
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from lead_store_fixtures import PostgresDatabases
from mlflow.tracking import MlflowClient
from small_models import registered_as
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from features.schema import parse_schema
from leadscore.cli import app
from leadscore.retrain import training_table
from leadscore.synthetic import SyntheticFiles, write_synthetic
from leadscore.synthetic_outcomes import DemoSales, write_demo_sales
from serving.store import LeadStore, labels_for
from serving.store.clock import as_utc
from serving.store.tables import Lead
from training.register import CHAMPION
from training.train import TrainOutcome

MODEL = "retrain-leads"
runner = CliRunner()


@pytest.fixture(scope="module")
def champion(small_model) -> tuple[SyntheticFiles, TrainOutcome]:  # type: ignore[no-untyped-def]
    files, trained = small_model
    return files, registered_as(trained, MODEL)


@pytest.fixture(scope="module")
def sales(tmp_path_factory: pytest.TempPathFactory) -> DemoSales:
    files = write_synthetic(tmp_path_factory.mktemp("retrain-new"), rows=2000, seed=42)
    return write_demo_sales(files.leads, files.leads.parent, newest=1500, seed=4)


def filled(url: str, sales: DemoSales) -> LeadStore:
    args = ["ingest", "--data", str(sales.leads), "--outcomes", str(sales.outcomes), "--database", url]
    result = runner.invoke(app, [*args, "--model", f"models:/{MODEL}@champion", "--no-progress"])
    assert result.exit_code == 0, result.output
    store = LeadStore(url)
    store.migrate()
    return store


@pytest.fixture(scope="module")
def sqlite_store(
    champion: tuple[SyntheticFiles, TrainOutcome], sales: DemoSales, tmp_path_factory: pytest.TempPathFactory
) -> LeadStore:
    return filled(f"sqlite:///{tmp_path_factory.mktemp('retrain-store') / 'leads.db'}", sales)


def retrain(url: str, schema: Path, *args: str) -> Any:
    options = ["--model-name", MODEL, "--folds", "2", "--max-trials", "1", "--no-progress"]
    return runner.invoke(app, ["retrain", "--database", url, "--schema", str(schema), *options, *args])


def finals(store: LeadStore) -> pd.DataFrame:
    with store.transaction() as session:
        rows = session.execute(
            select(Lead.lead_id, Lead.status, Lead.status_at).where(
                Lead.status.in_(["won", "lost", "rejected"])
            )
        ).all()
    return pd.DataFrame(rows, columns=["lead_id", "status", "status_at"])


def one_line_error(result: Any, *words: str) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def test_retrain_from_postgresql_logs_lineage_without_credentials(
    champion: tuple[SyntheticFiles, TrainOutcome], sales: DemoSales, postgres_databases: PostgresDatabases
) -> None:
    files, first = champion
    url = (
        make_url(postgres_databases.create()).set(password="s3cret-pw").render_as_string(hide_password=False)
    )
    store = filled(url, sales)  # trust auth: the password is accepted and must never be logged
    expected = finals(store)
    result = retrain(url, files.schema, "--min-outcomes", "100")
    assert result.exit_code == 0, result.output
    counts = Counter(expected["status"])
    assert f"trained on {len(expected):,} leads" in result.stdout
    assert f"won {counts['won']}" in result.stdout and "won = 1; lost+rejected = 0" in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr

    client = MlflowClient()
    version = client.get_model_version_by_alias(MODEL, "challenger")
    assert int(version.version) > int(first.registered.version)
    run = client.get_run(version.run_id)
    params, tags = run.data.params, run.data.tags
    assert params["retrain_leads"] == str(len(expected))
    for status in ("won", "lost", "rejected"):
        assert params[f"retrain_outcomes_{status}"] == str(counts[status])
    times = expected["status_at"].map(as_utc)
    assert params["retrain_window_start"] == times.min().isoformat()
    assert params["retrain_window_end"] == times.max().isoformat()
    assert params["split"] == "time" and params["labelled_rows"] == str(len(expected))
    assert tags["data_source"] == "lead-store"
    assert "s3cret-pw" not in str(params) + str(tags) and "***" in params["retrain_store"]
    table = pd.read_csv(client.download_artifacts(run.info.run_id, "retrain/store_outcomes.csv"))
    labels = table.set_index("lead_id")["converted"]
    truth = expected.set_index("lead_id")["status"].eq("won").astype(int)
    pd.testing.assert_series_equal(labels.sort_index(), truth.sort_index(), check_names=False)

    champion_now = str(client.get_model_version_by_alias(MODEL, CHAMPION).version)  # MLflow gives an int
    promoted = tags["promoted"] == "True"
    assert champion_now == (str(version.version) if promoted else first.registered.version)
    assert ("promoted to @champion" if promoted else "not promoted") in result.stdout


def test_a_label_mapping_decides_which_outcomes_are_positive(sqlite_store: LeadStore) -> None:
    schema = parse_schema(
        {
            "id": "lead_id",
            "label": {"column": "stage", "positive": ["Accepted", "Won"], "negative": ["Rejected"]},
            "numeric": ["page_views"],
            "categorical": ["lead_source"],
        }
    )
    labels = labels_for(schema)
    assert labels.values == {"accepted": "Accepted", "won": "Won", "rejected": "Rejected"}
    table, lineage = training_table(sqlite_store, schema, labels, since=None)
    with sqlite_store.transaction() as session:
        status = dict(session.execute(select(Lead.lead_id, Lead.status)).tuples().all())
    assert set(lineage.counts) == {"accepted", "won", "rejected"}  # lost is in neither list: left out
    assert len(table) == lineage.leads == sum(s in labels.values for s in status.values())
    assert (table["stage"] == table["lead_id"].map(status).map(labels.values)).all()
    assert table["stored_created_at"].notna().all()  # a schema without a timestamp gets the arrival time
    later, _ = training_table(sqlite_store, schema, labels, since=datetime(2100, 1, 1, tzinfo=UTC))
    assert later.empty


def test_too_few_outcomes_or_a_useless_mapping_is_one_line(
    champion: tuple[SyntheticFiles, TrainOutcome], sqlite_store: LeadStore, tmp_path: Path
) -> None:
    files, _ = champion
    before = len(MlflowClient().search_model_versions(f"name='{MODEL}'"))
    have = len(finals(sqlite_store))
    one_line_error(
        retrain(sqlite_store.url, files.schema, "--min-outcomes", "100000"), f"only {have} leads", "100000"
    )
    one_line_error(retrain(sqlite_store.url, files.schema, "--since", "2100-01-01"), "only 0 leads", "200")
    one_line_error(retrain(sqlite_store.url, files.schema, "--since", "last week"), "--since")
    one_line_error(retrain(sqlite_store.url, files.schema, "--holdout-fraction", "0.9"), "--holdout-fraction")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "id: lead_id\nlabel: {column: stage, positive: [SQL], negative: [Lost]}\nnumeric: [page_views]\n"
    )
    one_line_error(retrain(sqlite_store.url, mapping, "--min-outcomes", "1"), "label mapping on 'stage'")
    one_line_error(retrain(sqlite_store.url, tmp_path / "nope.yaml"), "schema file not found")
    assert len(MlflowClient().search_model_versions(f"name='{MODEL}'")) == before  # nothing registered


def test_the_mlproject_entry_point_maps_onto_the_flags(
    champion: tuple[SyntheticFiles, TrainOutcome], sqlite_store: LeadStore
) -> None:
    from mlflow.projects._project_spec import load_project

    files, _ = champion
    project = load_project(str(Path(__file__).parents[2]))
    params = {"schema": str(files.schema), "database": sqlite_store.url, "min_outcomes": 100000}
    command = project.get_entry_point("retrain").compute_command(params, storage_dir="")
    args = shlex.split(command)
    assert args[:2] == ["leadscore", "retrain"]
    one_line_error(runner.invoke(app, args[1:]), "need at least 100000")


def test_a_fractional_search_budget_is_used_as_given(
    champion: tuple[SyntheticFiles, TrainOutcome], sqlite_store: LeadStore
) -> None:
    files, _ = champion
    result = retrain(sqlite_store.url, files.schema, "--min-outcomes", "100", "--budget-seconds", "2.5")
    assert result.exit_code == 0, result.output
    client = MlflowClient()
    version = client.get_model_version_by_alias(MODEL, "challenger")
    assert client.get_run(version.run_id).data.params["budget_seconds"] == "2.5"
