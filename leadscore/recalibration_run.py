"""The MLflow run of `leadscore recalibrate` (leadscore/recalibrate.py): what it records, the registration and the gate.

The run's params say where the outcomes came from (store, window, counts per outcome and per part) and which version
was recalibrated; its metrics are the held-out numbers before and after (`ece_before`, `log_loss_after`, ...) and the
new version's `holdout_*`, as `train` logs them; its plots the calibration before and after on the held-out leads.
The new version's `info["recalibration"]` holds the same record, so the model says what it was made from.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from features.model import LeadModel
from leadscore.loop import safe_url
from leadscore.recalibrate import COMPARED, HELD_OUT_SHARE, HeldOut, Recalibration


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _params(done: Recalibration, store_url: str) -> dict[str, Any]:
    """The run's parameters: where the outcomes came from, the window, the counts and the calibration."""
    counts = {f"recalibrate_outcomes_{k}": v for k, v in sorted(done.lineage.counts.items())}
    parts = {
        f"{name}_{k}": v
        for name, part in (("fit", done.fit), ("held_out", done.held_out))
        for k, v in asdict(part).items()
    }
    return {
        "source_model": f"models:/{done.name}/{done.source_version}",
        "source_version": done.source_version,
        "recalibrate_store": safe_url(store_url),
        "recalibrate_since": done.since.isoformat(),
        "recalibrate_window_start": _iso(done.lineage.first),
        "recalibrate_window_end": _iso(done.lineage.last),
        "recalibrate_leads": done.lineage.leads,
        "recalibrate_labels": done.labels.describe(),
        "left_out_fitted": "not recorded" if done.left_out is None else done.left_out,
        "held_out_share": HELD_OUT_SHARE,
        **counts,
        **parts,
        "slope_before": done.before.slope,
        "intercept_before": done.before.intercept,
        "slope_after": done.after.slope,
        "intercept_after": done.after.intercept,
    }


def log_recalibration(
    done: Recalibration,
    new: LeadModel,
    held_out: HeldOut,
    fit_ids: pd.Series,
    seen: np.ndarray | None,
    store_url: str,
    experiment: str,
) -> Recalibration:
    """One MLflow run: source, window and counts as params, held-out numbers before and after as metrics, the
    calibration plots; then, when the log loss went down, the new version registered and put to the champion gate."""
    import os

    import mlflow

    from features.clean import as_signature_types
    from training import plots
    from training.gate import Challenger, holdout_digest, log_fitted_leads, promote
    from training.register import input_example, log_and_register
    from training.report import log_report

    schema, b, a, y = new.schema, done.metrics_before, done.metrics_after, held_out.y
    source = f"models:/{done.name}/{done.source_version}"
    leads = as_signature_types(held_out.leads, schema)
    digest = holdout_digest(leads[schema.id], y)
    if not os.environ.get("MLFLOW_RUN_ID"):  # under `mlflow run` the project's run (and experiment) is chosen
        mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=f"recalibrate {done.name} v{done.source_version}") as run:
        new.info.update(
            {
                "run_id": run.info.run_id,
                "recalibration": {
                    "source": source,
                    "source_version": done.source_version,
                    "source_run_id": done.source_run_id,
                    **{
                        k: str(v) for k, v in _params(done, store_url).items() if k.startswith("recalibrate_")
                    },
                    "left_out_fitted": done.left_out,
                    "fit": asdict(done.fit),
                    "held_out": asdict(done.held_out),
                    "calibration_before": asdict(done.before),
                    "held_out_before": {k: b[k] for k in COMPARED},
                },
                "holdout_metrics": a,
                "holdout_digest": digest,
                "holdout_window": f"{done.held_out.first} to {done.held_out.last}",
            }
        )
        mlflow.log_params(_params(done, store_url))
        mlflow.log_metrics(
            {
                **held_out.evaluation.flat_metrics(),  # holdout_*: the new version's, as `train` logs them
                **{f"{k}_before": b[k] for k in COMPARED},
                **{f"{k}_after": a[k] for k in COMPARED},
            }
        )
        mlflow.set_tags({"data_source": "lead-store", "recalibration_of": source, "family": new.family})
        mlflow.log_figure(plots.calibration_figure(y, held_out.before), "plots/calibration_before.png")
        mlflow.log_figure(plots.calibration_figure(y, held_out.after), "plots/calibration.png")
        if new.profile is not None:  # also inside the model; its score side under the new calibration
            mlflow.log_dict(new.profile.to_dict(), "reference_profile.json")
        if not a["log_loss"] < b["log_loss"]:
            reason = (
                f"held-out log loss {a['log_loss']:.4f} after is not below {b['log_loss']:.4f} before: version "
                f"{done.source_version}'s calibration still fits these outcomes"
            )
            mlflow.set_tags({"registered": "False", "registration_reason": reason})
            return replace(done, run_id=run.info.run_id, reason=reason)
        if seen is not None:  # the scorer's own leads and the calibration's: the gate's record of what it saw
            log_fitted_leads(fit_ids, seen)
        version = log_and_register(new, input_example(new, leads), done.name)
        challenger = Challenger(leads, y, held_out.after, schema.id, digest, a["roc_auc"])
        registered = promote(done.name, version, challenger)
        mlflow.set_tags(
            {
                "registered": "True",
                "promoted": str(registered.promoted),
                "promotion_reason": registered.reason,
                "model_version": version,
            }
        )
        log_report(new, done.name, version)
    return replace(done, run_id=run.info.run_id, registered=registered)
