"""The datasets of `bench/quality.py --suite`: how each is read, split and (for synthetic data) scored by its oracle.

Each dataset yields `Split`s: one training frame and one test frame that every model of that split gets unchanged.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from features.schema import LeadSchema, load_schema, parse_schema
from features.tables import load_table
from leadscore.synthetic import write_synthetic
from training.data import LabeledLeads, validate_leads
from training.split import holdout_split, time_order

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data"
FIXTURES = REPO / "tests" / "fixtures"
HOLDOUT = 0.25
# Calendar order of the online shoppers' months (no Jan, no Apr; June spelled out); the last two are the test period.
MONTHS = ["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TEST_MONTHS = ["Nov", "Dec"]
CURVE_ROWS = [10_000, 50_000, 100_000]  # then all training rows
SAMPLE_SEED = 0  # subsamples (--health-rows, the learning curve) are the same rows whatever the model seed


@dataclass(frozen=True)
class DataOptions:
    """Where the data is and how much of it to use."""

    data_dir: Path = DATA_DIR
    health_rows: int | None = None
    synthetic_rows: int = 60_000


@dataclass(frozen=True)
class Split:
    """One training and one test frame (raw rows, every column) with their labels, as every model gets them."""

    dataset: str
    label: str  # which split of the dataset: "seed 0", "10,000 training rows"
    seed: int  # the models' own seed
    schema: LeadSchema
    train: pd.DataFrame
    y_train: np.ndarray
    timestamps: pd.Series | None  # of the training rows, which are then oldest first
    test: pd.DataFrame
    y_test: np.ndarray
    how: str
    oracle: np.ndarray | None = None  # each test lead's true probability (synthetic data)
    note: str = ""


@dataclass(frozen=True)
class Dataset:
    """A named source of splits; `drifting` adds the target that the default beats LightGBM defaults there."""

    splits: Callable[[DataOptions, list[int]], Iterator[Split]]
    drifting: bool = False
    curve: bool = False  # a learning curve: reported as a curve, not against the targets


def split_leads(
    dataset: str,
    leads: LabeledLeads,
    schema: LeadSchema,
    train: np.ndarray,
    test: np.ndarray,
    seed: int,
    how: str,
    truth: pd.Series | None = None,
    note: str = "",
) -> Split:
    """The Split of these row positions; with timestamps the training rows are put oldest first."""
    ts = None
    if leads.timestamps is not None:
        train = train[time_order(leads.timestamps.iloc[train].reset_index(drop=True), len(train))]
        ts = leads.timestamps.iloc[train].reset_index(drop=True)
    x_test = leads.frame.iloc[test].reset_index(drop=True)
    return Split(
        dataset=dataset,
        label=f"seed {seed}",
        seed=seed,
        schema=schema,
        train=leads.frame.iloc[train].reset_index(drop=True),
        y_train=leads.y[train],
        timestamps=ts,
        test=x_test,
        y_test=leads.y[test],
        how=how,
        oracle=None if truth is None else truth.loc[x_test[schema.id].to_numpy()].to_numpy(dtype=float),
        note=note,
    )


def holdout(
    dataset: str,
    leads: LabeledLeads,
    schema: LeadSchema,
    fraction: float,
    seed: int,
    truth: pd.Series | None = None,
    note: str = "",
) -> Split:
    """`leadscore train`'s holdout: the newest leads when there is time, else a stratified sample drawn by `seed`."""
    train, test, how = holdout_split(leads.y, leads.timestamps, fraction, seed)
    return split_leads(
        dataset, leads, schema, train, test, seed, f"{how} {fraction:.0%} holdout", truth, note
    )


def stratified_rows(y: np.ndarray, rows: int | None, seed: int = SAMPLE_SEED) -> np.ndarray:
    """Positions of a stratified sample of `rows` (all when None or not fewer), in their original order."""
    if rows is None or rows >= len(y):
        return np.arange(len(y))
    sample = train_test_split(np.arange(len(y)), train_size=rows, stratify=y, random_state=seed)[0]
    return np.sort(sample)


def without(schema: LeadSchema, column: str) -> LeadSchema:
    """The schema with one feature moved to `drop` (and out of its groups)."""
    data = schema.to_dict()
    for kind in ("numeric", "categorical", "boolean"):
        data[kind] = [c for c in data.get(kind, []) if c != column]
    data["drop"] = [*data.get("drop", []), column]
    if "groups" in data:
        data["groups"] = {g: [c for c in cols if c != column] for g, cols in data["groups"].items()}
    return parse_schema(data, source=f"schema without {column}")


def x_education(options: DataOptions, seeds: list[int]) -> Iterator[Split]:
    schema = load_schema(FIXTURES / "x_education.schema.yaml")
    leads = validate_leads(load_table(options.data_dir / "x_education_leads" / "Leads.csv"), schema)
    for seed in seeds:
        yield holdout("x_education", leads, schema, HOLDOUT, seed)


def online_shoppers(options: DataOptions, seeds: list[int], page_values: bool) -> Iterator[Split]:
    """Sessions in calendar-month order (stable), trained on Feb-Oct and tested on Nov-Dec; the same split per seed."""
    name = "online_shoppers" if page_values else "online_shoppers_no_pagevalues"
    schema = load_schema(FIXTURES / "online_shoppers.schema.yaml")
    if not page_values:
        schema = without(schema, "PageValues")
    raw = load_table(options.data_dir / "online_shoppers_intention" / "online_shoppers_intention.csv")
    raw.insert(0, schema.id, [str(n) for n in range(1, len(raw) + 1)])  # the file has no id: its row number
    month = raw["Month"].map({m: i for i, m in enumerate(MONTHS)})
    if month.isna().any():
        raise ValueError(f"online shoppers: unknown month {raw.loc[month.isna(), 'Month'].iloc[0]!r}")
    raw = raw.iloc[np.argsort(month.to_numpy(), kind="stable")].reset_index(drop=True)
    leads = validate_leads(raw, schema)
    tested = leads.frame["Month"].isin(TEST_MONTHS).to_numpy()
    how = f"month order: train {MONTHS[0]}-{MONTHS[-3]}, test {'-'.join(TEST_MONTHS)}"
    for seed in seeds:
        yield split_leads(name, leads, schema, np.flatnonzero(~tested), np.flatnonzero(tested), seed, how)


def _health_leads(options: DataOptions) -> tuple[LabeledLeads, LeadSchema, str]:
    schema = load_schema(FIXTURES / "health_insurance.schema.yaml")
    raw = load_table(options.data_dir / "health_insurance_cross_sell" / "train.csv")
    rows = stratified_rows(raw[schema.label_column].to_numpy(), options.health_rows)
    note = f"stratified sample of {len(rows):,} of {len(raw):,} rows" if len(rows) < len(raw) else ""
    return validate_leads(raw.iloc[rows].reset_index(drop=True), schema), schema, note


def health_insurance(options: DataOptions, seeds: list[int]) -> Iterator[Split]:
    leads, schema, note = _health_leads(options)
    for seed in seeds:
        yield holdout("health_insurance", leads, schema, HOLDOUT, seed, note=note)


def learning_curve(options: DataOptions, seeds: list[int]) -> Iterator[Split]:
    """Health insurance, seed 0: stratified subsamples of the training part, then all of it; the same test set."""
    leads, schema, note = _health_leads(options)
    split = holdout("learning_curve", leads, schema, HOLDOUT, 0, note=note)
    for rows in [*(r for r in CURVE_ROWS if r < len(split.y_train)), len(split.y_train)]:
        keep = stratified_rows(split.y_train, rows)
        yield replace(
            split,
            label=f"{rows:,} training rows",
            train=split.train.iloc[keep].reset_index(drop=True),
            y_train=split.y_train[keep],
        )


def synthetic(options: DataOptions, seeds: list[int], drift: str) -> Iterator[Split]:
    """`leadscore generate` data (each seed its own data), time split, scored against the true probabilities."""
    name = "synthetic" if drift == "none" else "synthetic_drift"
    keyword = "drift" in inspect.signature(write_synthetic).parameters
    generate = partial(write_synthetic, drift=drift) if keyword else write_synthetic
    note = (
        "" if keyword else f"leadscore.synthetic has no drift= yet: generated without it, not drift {drift!r}"
    )
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="leadscore-quality-") as out:
            files = generate(Path(out), options.synthetic_rows, seed)
            schema = load_schema(files.schema)
            leads = validate_leads(load_table(files.leads), schema)
            truth = pd.read_csv(files.truth, dtype={schema.id: str}).set_index(schema.id)["true_probability"]
        yield holdout(name, leads, schema, HOLDOUT, seed, truth, note)


DATASETS: dict[str, Dataset] = {
    "x_education": Dataset(x_education),
    "online_shoppers": Dataset(partial(online_shoppers, page_values=True), drifting=True),
    "online_shoppers_no_pagevalues": Dataset(partial(online_shoppers, page_values=False), drifting=True),
    "health_insurance": Dataset(health_insurance),
    "synthetic": Dataset(partial(synthetic, drift="none")),
    "synthetic_drift": Dataset(partial(synthetic, drift="strong"), drifting=True),
    "learning_curve": Dataset(learning_curve, curve=True),
}
