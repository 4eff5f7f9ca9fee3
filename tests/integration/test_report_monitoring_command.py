"""The model report's Monitoring section: the reference it is written with at training time, and the current result
`leadscore report --database` adds from a real lead store (SQLite and PostgreSQL), on the session's small model."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from small_models import registered_as
from typer.testing import CliRunner

from features.profile import ReferenceProfile
from leadscore.cli import app
from leadscore.synthetic import SyntheticFiles
from leadscore.synthetic_outcomes import demo_sales
from serving.store import LeadStore
from training.report import HTML_ARTIFACT, MARKDOWN_ARTIFACT
from training.train import TrainOutcome

MODEL = "report-monitor-leads"
CHAMPION = f"models:/{MODEL}@champion"
runner = CliRunner()


@pytest.fixture(scope="module")
def champion(small_model) -> tuple[SyntheticFiles, TrainOutcome]:  # type: ignore[no-untyped-def]
    files, trained = small_model
    return files, registered_as(trained, MODEL)


@pytest.fixture(scope="module")
def profile(champion: tuple[SyntheticFiles, TrainOutcome]) -> ReferenceProfile:
    model = mlflow.pyfunc.load_model(CHAMPION).unwrap_python_model()
    assert model.profile is not None
    return model.profile


def pngs(page: str) -> list[bytes]:
    return [base64.b64decode(d) for d in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def cells(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", page)]


def report(out: Path, *args: str) -> Any:
    return runner.invoke(app, ["report", "--model", CHAMPION, "--out", str(out), "--no-progress", *args])


def monitoring_part(page: str) -> str:
    return page[page.index("<h2>Monitoring</h2>") :]


def test_the_report_logged_at_training_time_shows_the_reference(
    small_model: tuple[SyntheticFiles, TrainOutcome], profile: ReferenceProfile, tmp_path: Path
) -> None:
    trained = small_model[1]
    client = MlflowClient()
    page = Path(client.download_artifacts(trained.run_id, HTML_ARTIFACT, str(tmp_path))).read_text()
    markdown = Path(client.download_artifacts(trained.run_id, MARKDOWN_ARTIFACT, str(tmp_path))).read_text()
    section = monitoring_part(page)
    assert f"with the {profile.leads:,} leads this version was fitted on" in section
    shown = cells(section)
    for grade, cut in (("A", "90"), ("B", "70"), ("C", "40"), ("D", "0")):
        g = profile.grades[grade]
        row = shown[shown.index(grade) : shown.index(grade) + 5]
        assert row == [grade, cut, f"{g.share:.1%}", f"{g.expected_rate:.1%}", f"{g.observed_rate:.1%}"], row
    for feature in profile.features:
        at = shown.index(feature.name)
        assert shown[at + 1] == feature.kind and shown[at + 3] == f"{feature.missing:.1%}", feature.name
        if feature.kind == "categorical":
            assert shown[at + 2] == f"{len(feature.categories)} categories + other"
            assert shown[at + 4] == f"{feature.unseen:.1%}"
    psi_alert = shown.index("LEADSCORE_MONITOR_PSI_ALERT")
    assert shown[psi_alert + 1] == "0.25"
    version = trained.registered.version
    assert f"leadscore monitor --model models:/small-leads/{version} --database URL" in section
    assert "/monitor" in section and "GET /v1/monitor" in section
    logged = {a.path for a in client.list_artifacts(trained.run_id, "plots")}
    assert "plots/reference_scores.png" in logged
    assert "![training leads' scores](../plots/reference_scores.png)" in markdown
    assert "### Reference: the training leads" in markdown
    assert len(pngs(page)) == len(logged)  # every plot the run logged, the reference's included, embedded


@pytest.fixture(scope="module")
def plain_page(
    champion: tuple[SyntheticFiles, TrainOutcome], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """`leadscore report` without a store."""
    out = tmp_path_factory.mktemp("plain") / "report.html"
    result = report(out)
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_without_a_store_the_report_shows_the_settings_in_force(
    plain_page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = monitoring_part(plain_page)
    assert "<figcaption>training leads&#x27; scores</figcaption>" in section and "<h3>Now:" not in section
    monkeypatch.setenv("LEADSCORE_MONITOR_PSI_ALERT", "0.3")
    out = tmp_path / "r.html"
    assert report(out).exit_code == 0
    shown = cells(monitoring_part(out.read_text()))
    assert shown[shown.index("LEADSCORE_MONITOR_PSI_ALERT") + 1] == "0.3"
    assert shown[shown.index("LEADSCORE_MONITOR_MIN_OUTCOMES") + 1] == "100"  # live thresholds too


def sold(rows: pd.DataFrame, folder: Path) -> tuple[Path, Path]:
    """The 600 newest training leads as marketing sends them, drifted (four times the page views, most from
    referrals), and what sales did with them so far."""
    sent, outcomes, _ = demo_sales(rows, newest=600, seed=5)
    views = pd.to_numeric(sent["page_views"], errors="coerce") * 4
    sent["page_views"] = views.map(lambda v: "" if np.isnan(v) else str(int(v)))
    sent.loc[np.random.default_rng(3).random(len(sent)) < 0.6, "lead_source"] = "referral"
    leads, events = folder / "leads.csv", folder / "outcomes.csv"
    sent.to_csv(leads, index=False)
    outcomes.to_csv(events, index=False)
    return leads, events


def test_with_a_store_the_report_shows_the_current_alerts_and_plots(
    champion: tuple[SyntheticFiles, TrainOutcome], plain_page: str, lead_store: LeadStore, tmp_path: Path
) -> None:
    rows = pd.read_csv(champion[0].leads, dtype=str, keep_default_na=False)
    leads, events = sold(rows, tmp_path)
    ingest = ["ingest", "--data", str(leads), "--outcomes", str(events), "--database", lead_store.url]
    stored = runner.invoke(app, [*ingest, "--model", CHAMPION, "--no-progress"])
    assert stored.exit_code == 0, stored.output
    out = tmp_path / "report.html"
    result = report(out, "--database", lead_store.url)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    now = json.loads(
        runner.invoke(
            app, ["monitor", "--database", lead_store.url, "--model", CHAMPION, "--json", "--no-progress"]
        ).stdout
    )
    assert {(a["metric"], a["subject"]) for a in now["alerts"]} >= {
        ("feature_psi", "page_views"),
        ("feature_psi", "lead_source"),
    }
    section = monitoring_part(page)
    assert f"<p>Alerts ({len(now['alerts'])}):</p>" in section
    assert all(f"<li>{html.escape(a['message'])}</li>" in section for a in now["alerts"])
    assert "600 leads arrived, against 3,000 training leads" in section
    overall = now["performance"]["overall"]
    assert overall["final"] >= 100  # enough outcomes that the probabilities are judged, with intervals
    assert f"{overall['final']:,} final, {overall['open']:,} still open" in section
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", section)
    assert captions == [
        "training leads&#x27; scores",
        "PSI per feature, now against training",
        "score distribution now against training",
        "conversion observed against expected",
    ]
    added = pngs(page)
    assert len(added) == len(pngs(plain_page)) + 3 and all(p.startswith(b"\x89PNG") for p in added)
    assert not re.search(r'(src|href)="(?!data:)', page)


def test_a_store_with_no_leads_in_the_window_is_one_line(
    champion: tuple[SyntheticFiles, TrainOutcome], plain_page: str, lead_store: LeadStore, tmp_path: Path
) -> None:
    out = tmp_path / "empty.html"
    result = report(out, "--database", lead_store.url, "--since", "2020-01-01", "--until", "2020-01-08")
    assert result.exit_code == 0, result.output
    section = monitoring_part(out.read_text())
    now = section[section.index("<h3>Now:") :]
    assert re.findall(r"<(?:p|ul|table|figure)\b", now) == ["<p"]
    assert "No leads arrived in the lead store from 2020-01-01 00:00 UTC to 2020-01-08 00:00 UTC" in now
    assert len(pngs(out.read_text())) == len(pngs(plain_page))


def one_line_error(result: Any, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_bad_input_is_one_error_line(champion: tuple[SyntheticFiles, TrainOutcome], tmp_path: Path) -> None:
    out = tmp_path / "never.html"
    sqlite = f"sqlite:///{tmp_path / 'leads.db'}"
    one_line_error(report(out, "--database", "nosuch://x"), "--database: not a database URL")
    unreachable = report(out, "--database", "postgresql+psycopg://postgres:pw@127.0.0.1:1/x")
    one_line_error(unreachable, "unreachable")
    assert "pw" not in unreachable.stderr
    reversed_window = report(out, "--database", sqlite, "--since", "2026-02-01", "--until", "2026-01-01")
    one_line_error(reversed_window, "--until: must be after")
    one_line_error(report(out, "--database", sqlite, "--since", "last week"), "--since: not a date")
    one_line_error(report(out, "--since", "2026-01-01"), "--since and --until need --database")
    one_line_error(report(tmp_path / "r.md", "--database", sqlite), "--out", "use a .html file name")
    assert not out.exists()
