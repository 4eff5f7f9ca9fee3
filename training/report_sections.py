"""What the model report says, section by section, as blocks that the HTML and markdown renderers share."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from training.leakage import REFUSE_AUC, WARN_AUC
from training.report import ReportInputs
from training.report_blocks import Block, fmt, plot_block, renamed, table_block
from training.report_monitoring import monitoring

DEFAULT_FAMILY = "lightgbm"  # the only family before model selection was recorded on the model
NOT_RECORDED = "not recorded"
METRICS = (
    (
        "roc_auc",
        "ROC AUC",
        "{:.4f}",
        "chance that a converting lead outranks a non-converting one (0.5 = random)",
    ),
    ("pr_auc", "PR AUC", "{:.4f}", "average precision over the ranking; compare with the conversion rate"),
    ("log_loss", "Log loss", "{:.4f}", "penalty for confident wrong probabilities (lower is better)"),
    ("brier", "Brier score", "{:.4f}", "mean squared error of the probability (lower is better)"),
    ("ece", "ECE", "{:.4f}", "expected calibration error: mean gap between predicted and observed rate"),
    (
        "lift_top_decile",
        "Lift@10%",
        "{:.2f}",
        "conversion rate of the top 10% of leads over the overall rate",
    ),
    ("base_rate", "Conversion rate", "{:.2%}", "share of holdout leads that converted"),
    ("n", "Holdout leads", "{:,.0f}", "leads never seen in training, scored once for this report"),
)
DATA_PARAMS = (
    ("data", "data file"),
    ("data_sha256", "data sha256"),
    ("rows", "rows in the file"),
    ("labelled_rows", "labelled leads"),
    ("train_rows", "training part (cross-validation, pre-refit model)"),
    ("holdout_rows", "holdout leads"),
    ("registered_rows", "leads the registered model was fitted on"),
    ("recency_half_life_days", "recency half-life (days)"),
    ("split", "holdout split"),
    ("features", "features"),
    ("schema_path", "schema file"),
)


def _overview(inputs: ReportInputs) -> list[Block]:
    aliases = ", ".join(f"@{a}" for a in inputs.aliases) or "none"
    promoted = inputs.tags.get("promoted", NOT_RECORDED)
    rows = [
        ("registered model", inputs.name),
        ("version", inputs.version),
        ("aliases", aliases),
        ("run id", inputs.run_id),
        ("promoted", f"{promoted}: {inputs.tags.get('promotion_reason', NOT_RECORDED)}"),
    ]
    rows += [(label, inputs.params[key]) for key, label in DATA_PARAMS if key in inputs.params]
    return [
        Block("h1", text=f"Model report: {inputs.name} version {inputs.version}"),
        Block("p", text=f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from MLflow run {inputs.run_id}."),
        Block("h2", text="Model and data"),
        Block("table", table=pd.DataFrame(rows, columns=["", "value"])),
    ]


def _provenance(inputs: ReportInputs) -> list[Block]:
    """Which leads each number and each fit comes from: the holdout judges a model that never saw it."""
    info, params = inputs.info, inputs.params
    split = params.get("split") or info.get("split")
    holdout = params.get("holdout_rows") or info.get("holdout_rows")
    if holdout is None:
        return []
    newest = " the newest leads" if split == "time" else " a stratified random sample"
    window = f" ({info['holdout_window']})" if info.get("holdout_window") else ""
    trained = params.get("registered_rows") or info.get("trained_rows")
    folds = params.get("model_cv_folds")
    items = [
        f"Holdout metrics, calibration, gains and grade plots: {holdout} holdout leads,{newest}{window}, scored once "
        f"by the model fitted on the training part ({params.get('train_rows', NOT_RECORDED)} leads), which never "
        "saw them.",
        "Cross-validation (the family and its settings): the training part only"
        + (f", {folds} folds" if folds else "")
        + (
            ", each validated on leads newer than it was fitted on, the newest weighted most"
            if split == "time"
            else ""
        )
        + ".",
        f"The registered model: the same choice refit on all {trained or NOT_RECORDED} labelled leads, training "
        "part and holdout together"
        + (f" ({info['trained_window']})" if info.get("trained_window") else "")
        + "; with a timestamp its recency weighting is chosen again on time folds over all of them, since the "
        "newest leads show drift first; feature importance is its own.",
        "Its calibration: the slope from scores of leads no model saw while fitting (out-of-fold and holdout, "
        f"{info.get('calibration_rows', NOT_RECORDED)} leads), the level from the registered model's own leads"
        + (", recent leads counting more" if split == "time" else "")
        + ".",
        f"Champion gate: {inputs.tags.get('promotion_reason', NOT_RECORDED)}.",
    ]
    return [Block("h2", text="Which leads each number comes from"), Block("ul", items=tuple(items))]


def _drift(inputs: ReportInputs, top: int = 10) -> list[Block]:
    """What the drift check at training time found: newest leads against older ones, and recency weighting."""
    warnings = [w for w in inputs.tags.get("drift_warnings", "").split(" | ") if w]
    items = list(warnings) or ["No drift worth a warning between the newest leads and the older ones."]
    older, recent = inputs.metrics.get("drift_rate_older"), inputs.metrics.get("drift_rate_recent")
    if older is not None and recent is not None:
        items.append(f"conversion rate: older leads {older:.1%}, newest leads {recent:.1%}")
    if "drift_domain_auc" in inputs.metrics:
        items.append(
            f"a classifier tells the newest leads from older ones with ROC AUC {inputs.metrics['drift_domain_auc']:.2f} "
            "(0.5: indistinguishable)"
        )
    recency = inputs.info.get("recency_reason") or inputs.tags.get("recency_reason")
    if recency:
        items.append(f"recency weighting: {recency}")
    blocks = [Block("h2", text="Drift at training time"), Block("ul", items=tuple(items))]
    if "drift" in inputs.tables:
        table = inputs.tables["drift"]
        keep = [
            c for c in ("feature", "psi", "band", "moved", "missing_older", "missing_recent") if c in table
        ]
        shown = table[keep].head(top)
        blocks.append(
            renamed(
                table_block(shown, {"psi": "{:.3f}", "missing_older": "{:.1%}", "missing_recent": "{:.1%}"}),
                {"psi": "PSI", "moved": "what moved most"},
            )
        )
    blocks.append(plot_block(inputs, "drift.png", "drift per feature"))
    return blocks


def _metrics(inputs: ReportInputs) -> list[Block]:
    rows = []
    for key, label, spec, meaning in METRICS:
        value = inputs.holdout(key)
        rows.append((label, NOT_RECORDED if value is None else fmt(value, spec), meaning))
    return [
        Block("h2", text="Holdout metrics"),
        Block("table", table=pd.DataFrame(rows, columns=["metric", "value", "what it means"])),
    ]


def _family(inputs: ReportInputs) -> list[Block]:
    family = str(inputs.info.get("family") or inputs.tags.get("family") or DEFAULT_FAMILY)
    reason = str(inputs.info.get("selection_reason") or inputs.tags.get("selection_reason") or NOT_RECORDED)
    facts = [f"chosen family: {family}", f"why: {reason}"]
    if inputs.tags.get("cold_start"):
        facts.append(f"cold start: {inputs.tags['cold_start']}")
    blocks = [Block("h2", text="Model family and why"), Block("ul", items=tuple(facts))]
    selection = inputs.info.get("selection") or {}
    if selection:
        frame = pd.DataFrame.from_dict(selection, orient="index").rename_axis("family").reset_index()
        frame = frame.sort_values("cv_roc_auc", ascending=False) if "cv_roc_auc" in frame else frame
        frame.insert(1, "chosen", ["yes" if f == family else "" for f in frame["family"]])
        blocks += [
            Block("p", text="Cross-validation on the training part only (the holdout was not used):"),
            renamed(
                table_block(
                    frame, {"cv_roc_auc": "{:.4f}", "cv_roc_auc_sd": "{:.4f}", "cv_log_loss": "{:.4f}"}
                ),
                {
                    "cv_roc_auc": "CV ROC AUC",
                    "cv_roc_auc_sd": "fold spread (SD)",
                    "cv_log_loss": "CV log loss",
                },
            ),
        ]
    else:
        blocks.append(Block("p", text=f"Cross-validation comparison of families: {NOT_RECORDED}."))
    return blocks


def _calibration_and_gains(inputs: ReportInputs) -> list[Block]:
    blocks = [Block("h2", text="Calibration"), plot_block(inputs, "calibration.png", "calibration")]
    if "calibration_newest.png" in inputs.plots:
        blocks += [
            Block("p", text="The newest quarter of the holdout: does the calibration follow the present?"),
            plot_block(inputs, "calibration_newest.png", "calibration on the newest leads"),
        ]
    blocks += [Block("h2", text="Gains and lift"), plot_block(inputs, "gains.png", "gains and lift")]
    if "gains" in inputs.tables:
        columns = ["decile", "leads", "conversions", "conversion_rate", "cumulative_conversions_pct", "lift"]
        gains = inputs.tables["gains"][[c for c in columns if c in inputs.tables["gains"]]]
        table = table_block(
            gains, {"conversion_rate": "{:.1%}", "cumulative_conversions_pct": "{:.1f}%", "lift": "{:.2f}"}
        )
        blocks.append(renamed(table, {"cumulative_conversions_pct": "conversions captured (cumulative)"}))
    return blocks


def _grades(inputs: ReportInputs) -> list[Block]:
    blocks = [Block("h2", text="Conversion rate by grade")]
    if "grades" in inputs.tables:
        grades = inputs.tables["grades"].copy()
        if inputs.grade_cuts:
            grades.insert(
                1, "score from", [fmt(inputs.grade_cuts.get(g, 0), "{:g}") for g in grades["grade"]]
            )
        table = table_block(
            grades, {"share_pct": "{:.1f}%", "conversion_rate": "{:.1%}", "mean_probability": "{:.1%}"}
        )
        blocks.append(renamed(table, {"share_pct": "share of leads"}))
    blocks.append(plot_block(inputs, "conversion_by_grade.png", "conversion rate by grade"))
    blocks += [Block("h2", text="Score distribution"), plot_block(inputs, "score_distribution.png", "scores")]
    return blocks


def _features(inputs: ReportInputs, top: int = 15) -> list[Block]:
    blocks = [Block("h2", text="Top features")]
    if "importance" in inputs.tables:
        table = inputs.tables["importance"]
        value = table.columns[1]
        frame = table[table[value] != 0].sort_values(value, ascending=False).head(top).copy()
        total = float(table[value].abs().sum()) or 1.0
        frame["share"] = frame[value].abs() / total
        blocks.append(renamed(table_block(frame, {value: "{:,.4g}", "share": "{:.1%}"}), {}))
    blocks.append(plot_block(inputs, "feature_importance.png", "feature importance"))
    return blocks


def _leakage(inputs: ReportInputs, top: int = 10) -> list[Block]:
    warnings = [w for w in inputs.tags.get("leakage_warnings", "").split(" | ") if w]
    blocks = [
        Block("h2", text="Leakage check"),
        Block("ul", items=tuple(warnings)) if warnings else Block("p", text="No leakage warnings."),
    ]
    if "single_feature_auc" in inputs.tables:
        table = inputs.tables["single_feature_auc"].head(top).copy()
        auc = table.columns[-1]
        table["status"] = [
            "refused unless --allow-leaky" if a >= REFUSE_AUC else "warned" if a >= WARN_AUC else ""
            for a in table[auc]
        ]
        blocks += [
            Block("p", text=f"Strongest single features (out-of-fold ROC AUC alone; warn at {WARN_AUC}):"),
            renamed(table_block(table, {auc: "{:.3f}"}), {auc: "ROC AUC alone"}),
        ]
    return blocks


def blocks(inputs: ReportInputs) -> list[Block]:
    """The report, section by section."""
    return [
        *_overview(inputs),
        *_provenance(inputs),
        *_metrics(inputs),
        *_family(inputs),
        *_drift(inputs),
        *_calibration_and_gains(inputs),
        *_grades(inputs),
        *_features(inputs),
        *_leakage(inputs),
        Block("h2", text="ROC and precision-recall"),
        plot_block(inputs, "roc.png", "ROC curve"),
        plot_block(inputs, "precision_recall.png", "precision-recall curve"),
        *monitoring(inputs),
    ]
