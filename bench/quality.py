"""Model quality: the default pipeline against the baselines a data scientist would try, on the same splits.

    .venv/bin/python bench/quality.py --data LEADS.csv --schema SCHEMA.yaml [--holdout-fraction 0.2] [--truth truth.csv]
        [--seeds 0 1 2] [--budget-seconds 60] [--budget-seconds-flaml 60]
    nice -n 10 .venv/bin/python bench/quality.py --suite [--only NAME[,NAME]] [--seeds 0 1 2] [--out DIR]
        [--data-dir ../shared/data] [--health-rows N] [--synthetic-rows 60000] [--no-learning-curve]

Each model is fitted and scores the test rows in a fresh process, so its fit seconds and peak memory are its own.
Per split: ROC AUC, PR AUC, Brier, ECE, lift@10%, fit seconds, peak MB, and ROC AUC as a difference from the best
baseline (and from the oracle on synthetic data). `--suite` runs every dataset of bench/quality_datasets.py, then
prints per dataset the mean over seeds and whether the default meets its targets. FLAML comes with the `bench` extra.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from quality_datasets import DATA_DIR, DATASETS, DataOptions, Split, holdout
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from features.clean import LeadCleaner
from features.schema import LeadSchema, load_schema
from features.tables import load_table
from training.config import TrainConfig
from training.data import validate_leads
from training.evaluate import expected_calibration_error, lift_at
from training.fit import build_preprocessor
from training.pipeline import train_model

Predict = Callable[[pd.DataFrame], np.ndarray]
Fitter = Callable[[pd.DataFrame, np.ndarray, pd.Series | None, LeadSchema, int], Predict]

DEFAULT = "leadscore default"
LIGHTGBM = "LightGBM defaults"
FLAML = "FLAML AutoML"
ORACLE = "oracle (true probability)"
# The targets of the default pipeline (ROC AUC differences; ECE only where the test conversion rate stays close).
MEAN_MARGIN, SPLIT_MARGIN, ORACLE_MARGIN = -0.002, -0.005, -0.005
ECE_TARGET, RATE_SHIFT = 0.03, 0.2
METRICS = ["roc_auc", "pr_auc", "brier", "ece", "lift@10%"]
FORMATS = {"fit_s": "{:.1f}", "peak_mb": "{:.0f}", "test/train rate": "{:.2f}"}


def _typed(schema: LeadSchema, frame: pd.DataFrame) -> pd.DataFrame:
    return LeadCleaner(schema.to_dict()).fit(frame).transform(frame)


def naive_bayes(
    frame: pd.DataFrame, y: np.ndarray, ts: pd.Series | None, schema: LeadSchema, seed: int
) -> Predict:
    """Odoo-style: per-field won/lost frequency tables, 0.1 smoothing, unseen values ignored; numbers in deciles."""
    typed = _typed(schema, frame)
    edges = {c: np.unique(np.nanquantile(typed[c], np.linspace(0.1, 0.9, 9))) for c in schema.numeric}

    def values(data: pd.DataFrame) -> pd.DataFrame:
        out = data.astype(object).where(data.notna(), "(missing)")
        for c in schema.numeric:
            out[c] = np.where(data[c].isna(), "(missing)", np.searchsorted(edges[c], data[c]).astype(str))
        return out.astype(str)

    v, won, lost = values(typed), y == 1, y == 0
    tables = {}
    for c in schema.features:
        counts = pd.crosstab(v[c], y).reindex(columns=[0, 1], fill_value=0) + 0.1
        tables[c] = np.log(counts[1] / won.sum()) - np.log(counts[0] / lost.sum())
    prior = np.log(won.mean() / lost.mean())

    def predict(data: pd.DataFrame) -> np.ndarray:
        vd = values(_typed(schema, data))
        z = prior + sum(vd[c].map(tables[c]).fillna(0.0).to_numpy(dtype=float) for c in schema.features)
        return np.asarray(1 / (1 + np.exp(-z)))

    return predict


def logistic(
    frame: pd.DataFrame,
    y: np.ndarray,
    ts: pd.Series | None,
    schema: LeadSchema,
    seed: int,
    log1p: bool = False,
) -> Predict:
    """One-hot logistic regression: standardised numbers (log1p first if asked) with missing indicators."""
    numbers = [SimpleImputer(strategy="median", add_indicator=True), StandardScaler()]
    if log1p:
        numbers.insert(0, FunctionTransformer(lambda x: np.sign(x) * np.log1p(np.abs(x))))
    columns = ColumnTransformer(
        [
            ("num", make_pipeline(*numbers), [*schema.numeric, *schema.boolean]),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10),
                ),
                schema.categorical,
            ),
        ]
    )
    model = make_pipeline(columns, LogisticRegression(C=1.0, max_iter=2000))

    def typed(data: pd.DataFrame) -> pd.DataFrame:
        out = _typed(schema, data)
        out[schema.categorical] = out[schema.categorical].astype(object)
        return out

    model.fit(typed(frame), y)
    return lambda data: np.asarray(model.predict_proba(typed(data))[:, 1])


def lightgbm_defaults(
    frame: pd.DataFrame, y: np.ndarray, ts: pd.Series | None, schema: LeadSchema, seed: int
) -> Predict:
    """LGBMClassifier with its default settings on the same encoded features (native categoricals)."""
    pre = build_preprocessor(schema, len(frame)).fit(frame)
    cats = [i for i, c in enumerate(schema.features) if c in schema.categorical]
    model = lgb.LGBMClassifier(verbosity=-1, n_jobs=1, random_state=seed)
    model.fit(pre.transform(frame), y, categorical_feature=cats)
    return lambda data: np.asarray(model.predict_proba(pre.transform(data)))[:, 1]


def flaml_automl(
    frame: pd.DataFrame,
    y: np.ndarray,
    ts: pd.Series | None,
    schema: LeadSchema,
    seed: int,
    *,
    budget_seconds: float = 60,
) -> Predict:
    """FLAML AutoML for ROC AUC within a time budget, on typed columns.

    Numbers as float, categories as pandas `category` of the training values (others become missing), booleans 0/1.
    With timestamps its validation is time-ordered (the training rows come oldest first), as the default's is.
    """
    from flaml import AutoML  # the `bench` extra, imported by the process that fits it

    categories = {c: sorted(_typed(schema, frame)[c].dropna().unique()) for c in schema.categorical}

    def typed(data: pd.DataFrame) -> pd.DataFrame:
        out = _typed(schema, data)
        for column, values in categories.items():
            out[column] = pd.Categorical(out[column], categories=values)
        return out

    automl = AutoML()
    automl.fit(
        typed(frame),
        y,
        task="classification",
        time_budget=budget_seconds,
        metric="roc_auc",
        seed=seed,
        n_jobs=2,
        verbose=0,
        split_type="auto" if ts is None else "time",
    )
    print(f"    FLAML chose {automl.best_estimator}", flush=True)
    return lambda data: np.asarray(automl.predict_proba(typed(data))[:, 1])


def leadscore_default(
    frame: pd.DataFrame,
    y: np.ndarray,
    timestamps: pd.Series | None,
    schema: LeadSchema,
    seed: int,
    *,
    budget_seconds: float | None = None,
) -> Predict:
    """What `leadscore train` fits, with its default search budget unless one is given.

    The one place that knows the training internals: it changes when the training entry point does.
    """
    defaults = TrainConfig.model_fields
    budget = defaults["budget_seconds"].default if budget_seconds is None else budget_seconds
    model = train_model(
        frame,
        y,
        timestamps,
        schema,
        holdout_fraction=defaults["holdout_fraction"].default,
        folds=defaults["folds"].default,
        seed=seed,
        budget_seconds=budget or None,  # as the command line reads it: 0 is no wall-clock cap
        max_trials=defaults["max_trials"].default,
        progress=False,
    ).model
    print(
        f"    leadscore default chose {model.info['family']}: {model.info['selection_reason']}; "
        f"{model.info['recency_reason']}",
        flush=True,
    )
    return lambda data: model.score(data).probability


def models(args: argparse.Namespace) -> dict[str, Fitter]:
    """Every model of a split, baselines first; the default's and FLAML's budgets from the command line."""
    return {
        "naive Bayes (Odoo-style)": naive_bayes,
        "logistic regression": logistic,
        "logistic regression, log1p": partial(logistic, log1p=True),
        LIGHTGBM: lightgbm_defaults,
        FLAML: partial(flaml_automl, budget_seconds=args.budget_seconds_flaml),
        DEFAULT: partial(leadscore_default, budget_seconds=args.budget_seconds),
    }


# ---- one split: every model in its own process ----


def _peak_mb() -> float:
    """This process's own peak resident memory, from Linux's VmHWM.

    Not ru_maxrss: Linux carries the larger of the old and new image's peak across exec, so a spawned child's
    ru_maxrss starts at its parent's resident size (measured: a child of a 600 MB parent reported 606 MB, VmHWM 34).
    """
    with open("/proc/self/status", encoding="ascii") as status:
        kilobytes = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


def _fit_and_predict(fitter: Fitter, split: Split) -> tuple[np.ndarray, float, float]:
    """In the child: fit on the training rows, score the test rows; probabilities, fit seconds, peak MB."""
    start = time.perf_counter()
    predict = fitter(split.train, split.y_train, split.timestamps, split.schema, split.seed)
    seconds = time.perf_counter() - start
    probability = np.asarray(predict(split.test), dtype=float)
    sys.stdout.flush()
    return probability, seconds, _peak_mb()


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """`function(*args)` in a new interpreter (spawned, not forked), so its peak memory is its own."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(function, *args).result()


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": roc_auc_score(y, p),
        "pr_auc": average_precision_score(y, p),
        "brier": brier_score_loss(y, p),
        "ece": expected_calibration_error(y, p),
        "lift@10%": lift_at(y, p, 0.1),
    }


def _now() -> str:
    return time.strftime("%H:%M:%S")


def quality_table(split: Split, fitters: dict[str, Fitter]) -> pd.DataFrame:
    """Every model fitted on the split's training rows and scored on its test rows; a failed model is a row of NaN."""
    rows: list[dict[str, Any]] = []
    if split.oracle is not None:
        rows.append({"model": ORACLE, **_metrics(split.y_test, split.oracle), "fit_s": 0.0})
    for name, fitter in fitters.items():
        print(f"  {_now()} {split.dataset}, {split.label}: {name} ...", flush=True)
        try:
            p, seconds, peak = in_fresh_process(_fit_and_predict, fitter, split)
        except Exception as error:  # a long suite goes on; the table shows the gap and the targets fail
            print(f"    {name} FAILED: {error!r}\n{error.__cause__ or ''}", flush=True)
            rows.append({"model": name})
            continue
        print(f"    {seconds:.1f} s, peak {peak:.0f} MB", flush=True)
        rows.append({"model": name, **_metrics(split.y_test, p), "fit_s": seconds, "peak_mb": peak})
    table = pd.DataFrame(rows, columns=["model", *METRICS, "fit_s", "peak_mb"]).set_index("model")
    baselines = [name for name in fitters if name != DEFAULT]
    auc = table["roc_auc"]
    table["auc_vs_best_baseline"] = auc - float(auc[baselines].max())
    if split.oracle is not None:
        table["auc_vs_oracle"] = auc - float(auc[ORACLE])
    return table


def _cell(form: str, value: Any) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else form.format(value)
    return str(value)


def _form(column: Any, metric: str | None) -> str:
    """A column's number format: its own, or that of the one metric a table (a learning curve) shows."""
    return FORMATS.get(metric or str(column), "{:.4f}")


def show(table: pd.DataFrame, metric: str | None = None) -> str:
    formatters = {c: partial(_cell, _form(c, metric)) for c in table.columns}
    return table.to_string(formatters=formatters, na_rep="")


def markdown(table: pd.DataFrame, metric: str | None = None) -> str:
    frame = table.reset_index()
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_cell(_form(c, metric), v) for c, v in row.items()) + " |")
    return "\n".join(lines) + "\n"


def run_split(split: Split, fitters: dict[str, Fitter]) -> pd.DataFrame:
    """One split's table, printed with its conversion rates; the rates ride along in its columns."""
    train_rate, test_rate = float(split.y_train.mean()), float(split.y_test.mean())
    ratio = test_rate / train_rate
    print(
        f"\n{_now()} {split.dataset}, {split.label}: {len(split.y_train):,} train / {len(split.y_test):,} test "
        f"({split.how}); converted: test {test_rate:.1%}, train {train_rate:.1%} (x{ratio:.2f}: ECE target "
        f"{'applies' if abs(ratio - 1) <= RATE_SHIFT else 'not applicable'}){f'; {split.note}' if split.note else ''}",
        flush=True,
    )
    table = quality_table(split, fitters)
    print(show(table), flush=True)
    return table.assign(**{"test/train rate": ratio})


# ---- the suite: per dataset the mean over seeds, and the targets ----


def targets(name: str, tables: list[pd.DataFrame], drifting: bool) -> dict[str, Any]:
    """The default pipeline's summary row for one dataset, with PASS or FAIL and which targets failed."""
    default = pd.DataFrame([t.loc[DEFAULT] for t in tables])
    vs_lgbm = np.array([float(t["roc_auc"][DEFAULT]) - float(t["roc_auc"][LIGHTGBM]) for t in tables])
    margin = default["auc_vs_best_baseline"]
    close_rates = default[(default["test/train rate"] - 1).abs() <= RATE_SHIFT]
    checks = {
        "a fit failed": bool(default["roc_auc"].notna().all()),
        "margin": margin.mean() >= MEAN_MARGIN and margin.min() >= SPLIT_MARGIN,
    }
    if drifting:
        checks["vs LightGBM"] = vs_lgbm.mean() > 0
    if "auc_vs_oracle" in default:
        checks["oracle"] = default["auc_vs_oracle"].mean() >= ORACLE_MARGIN
    if len(close_rates):
        checks["ECE"] = close_rates["ece"].max() < ECE_TARGET
    failed = [what for what, ok in checks.items() if not ok]
    baseline_auc = (
        pd.concat(tables)
        .groupby(level=0, sort=False)["roc_auc"]
        .mean()
        .drop([DEFAULT, ORACLE], errors="ignore")
    )
    return {
        "dataset": name,
        "splits": len(tables),
        "roc_auc": default["roc_auc"].mean(),
        "best_baseline": baseline_auc.idxmax() if baseline_auc.notna().any() else "",
        "vs_best_baseline": margin.mean(),
        "worst_split": margin.min(),
        "vs_lightgbm": vs_lgbm.mean(),
        "beat_lightgbm": f"{int((vs_lgbm > 0).sum())}/{len(tables)}",
        "vs_oracle": default["auc_vs_oracle"].mean() if "auc_vs_oracle" in default else np.nan,
        "ece": default["ece"].mean(),
        "ece_where_rates_close": close_rates["ece"].max() if len(close_rates) else np.nan,
        "test/train rate": default["test/train rate"].mean(),
        "fit_s": default["fit_s"].mean(),
        "peak_mb": default["peak_mb"].mean(),
        "targets": "PASS" if not failed else "FAIL: " + ", ".join(failed),
    }


def learning_curve_tables(labels: list[str], tables: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """ROC AUC, fit seconds and peak MB per model (rows) and training size (columns)."""
    long = pd.concat(dict(zip(labels, tables, strict=True)), names=["training rows", "model"])
    return {
        metric: long[metric].unstack(0)[labels].rename_axis(columns=None)
        for metric in ("roc_auc", "fit_s", "peak_mb")
    }


def write(out: Path | None, name: str, table: pd.DataFrame, metric: str | None = None) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / f"{name}.csv")
        (out / f"{name}.md").write_text(markdown(table, metric), encoding="utf-8")


def run_suite(args: argparse.Namespace, names: list[str]) -> None:
    options = DataOptions(args.data_dir, args.health_rows, args.synthetic_rows)
    seeds = args.seeds or [0, 1, 2]
    fitters = models(args)
    summary: list[dict[str, Any]] = []
    means: dict[str, pd.DataFrame] = {}
    splits: dict[tuple[str, str], pd.DataFrame] = {}
    for name in names:
        dataset = DATASETS[name]
        labels, tables = [], []
        for split in dataset.splits(options, seeds):
            labels.append(split.label)
            tables.append(run_split(split, fitters))
            splits[name, split.label] = tables[-1]
            write(args.out, "splits", pd.concat(splits, names=["dataset", "split", "model"]))
        if dataset.curve:
            for metric, table in learning_curve_tables(labels, tables).items():
                print(f"\nlearning curve (health insurance, seed 0, the same test rows): {metric}")
                print(show(table, metric), flush=True)
                write(args.out, f"learning_curve_{metric}", table, metric)
            continue
        means[name] = pd.concat(tables).groupby(level=0, sort=False).mean()
        print(f"\n{name}: mean over {', '.join(labels)}\n{show(means[name])}", flush=True)
        summary.append(targets(name, tables, dataset.drifting))
        write(args.out, "means", pd.concat(means, names=["dataset", "model"]))
        write(args.out, "summary", pd.DataFrame(summary).set_index("dataset"))
    if summary:
        print(
            f"\nsummary: the default pipeline per dataset (targets: mean margin to the best baseline >= "
            f"{MEAN_MARGIN}, every split >= {SPLIT_MARGIN}; beats LightGBM defaults where data drifts; within "
            f"{-ORACLE_MARGIN} of the oracle; ECE < {ECE_TARGET} where test and training conversion rates are "
            f"within {RATE_SHIFT:.0%})"
        )
        print(show(pd.DataFrame(summary).set_index("dataset")), flush=True)


def run_single(args: argparse.Namespace) -> None:
    schema = load_schema(args.schema)
    leads = validate_leads(load_table(args.data), schema)
    truth = None
    if args.truth:
        truth = pd.read_csv(args.truth, dtype={schema.id: str}).set_index(schema.id)["true_probability"]
    fitters = models(args)
    tables = [
        run_split(holdout(args.data.name, leads, schema, args.holdout_fraction, seed, truth), fitters)
        for seed in args.seeds or [0]
    ]
    if len(tables) > 1:
        print(f"\nmean over seeds {', '.join(map(str, args.seeds))}")
        print(show(pd.concat(tables).groupby(level=0, sort=False).mean()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="one lead table (with --schema), instead of --suite")
    parser.add_argument("--schema", type=Path)
    parser.add_argument(
        "--truth", type=Path, help="CSV with the id column and true_probability (synthetic data)"
    )
    parser.add_argument(
        "--holdout-fraction", type=float, default=0.2, help="with --data (the suite holds out 25%%)"
    )
    parser.add_argument("--suite", action="store_true", help="every dataset of bench/quality_datasets.py")
    parser.add_argument("--only", help=f"comma-separated datasets of the suite: {', '.join(DATASETS)}")
    parser.add_argument(
        "--seeds",
        "--seed",
        type=int,
        nargs="+",
        help="split and model seeds (default: 0 1 2 with --suite, else 0)",
    )
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--health-rows", type=int, help="a stratified sample of the health insurance rows")
    parser.add_argument("--synthetic-rows", type=int, default=60_000)
    parser.add_argument(
        "--learning-curve",
        action=argparse.BooleanOptionalAction,
        help="health insurance at 10k, 50k, 100k and all training rows (on by default with --suite)",
    )
    parser.add_argument(
        "--budget-seconds",
        type=float,
        help="the default pipeline's search cap (default: `leadscore train`'s)",
    )
    parser.add_argument("--budget-seconds-flaml", type=float, default=60, help="FLAML's time budget")
    parser.add_argument("--out", type=Path, help="write the summary tables here as CSV and markdown")
    args = parser.parse_args()
    if args.suite == bool(args.data and args.schema):
        parser.error("give --suite, or --data and --schema for one table")
    if importlib.util.find_spec("flaml") is None:
        parser.error(
            "FLAML is not installed: `make bench-tools` installs the bench extra (pip install -e '.[bench]')"
        )
    names = [n for n in DATASETS if n != "learning_curve"]
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        if unknown := [n for n in names if n not in DATASETS]:
            parser.error(f"--only: unknown dataset {unknown[0]!r}; choose from {', '.join(DATASETS)}")
    if args.learning_curve or (args.learning_curve is None and not args.only):
        names = [*dict.fromkeys([*names, "learning_curve"])]
    elif args.learning_curve is False:
        names = [n for n in names if n != "learning_curve"]

    floor = in_fresh_process(_peak_mb)
    print(
        f"a fresh process that only imports this benchmark peaks at {floor:.0f} MB (every peak_mb includes it)"
    )
    if args.suite:
        run_suite(args, names)
    else:
        run_single(args)


if __name__ == "__main__":
    main()
