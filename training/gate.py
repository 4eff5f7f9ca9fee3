"""The champion gate: a new version takes @champion only when it is at least as good on leads neither model saw.

The registered model is refit on every labelled lead, so its own holdout score would flatter it; the comparison is
made by the pre-refit challenger (fitted on the training part only) on the holdout. The champion may have been fitted
on some of those leads (an earlier run on an overlapping file): every run records which leads its registered model
was fitted on (hashes of their ids, `FITTED_LEADS` in the run's artifacts), and the gate compares, in this order:
1. on the holdout leads the champion never saw, when there are enough of them;
2. by the holdout metrics both runs recorded, when their holdouts were the very same leads with the same outcomes;
3. on the whole holdout anyway, where the champion has the advantage of having seen the leads: a challenger that
   still matches it is promoted; one that does not is kept back, and the reason says why.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from features.clean import as_signature_types
from training.register import CHALLENGER, CHAMPION, Registered, champion_version

FITTED_LEADS = "training/fitted_leads.npy"
MIN_FAIR_LEADS, MIN_FAIR_PER_CLASS = 200, 20  # fewer leads than this give a ROC AUC too noisy to decide on


def lead_hashes(ids: pd.Series) -> np.ndarray:
    """Sorted unique 64-bit hashes of lead ids (pandas' fixed-key SipHash: the same in every process)."""
    hashed = pd.util.hash_pandas_object(ids.astype(str).reset_index(drop=True), index=False)
    return np.unique(hashed.to_numpy(dtype=np.uint64))


def fitted_on(ids: pd.Series, hashes: np.ndarray) -> np.ndarray:
    """Per lead, whether its id is one of the leads `hashes` (from `lead_hashes`) stand for."""
    keys = pd.util.hash_pandas_object(ids.astype(str).reset_index(drop=True), index=False)
    return np.isin(keys.to_numpy(dtype=np.uint64), hashes)


def holdout_digest(ids: pd.Series, y: np.ndarray) -> str:
    """A short fingerprint of leads and their outcomes: two runs with the same digest judged the same thing."""
    keys = ids.astype(str).reset_index(drop=True) + "\x1f" + pd.Series(y).astype(str)
    return f"{int(np.bitwise_xor.reduce(lead_hashes(keys), initial=np.uint64(0))):016x}-{len(keys)}"


def log_fitted_leads(ids: pd.Series, hashes: np.ndarray | None = None) -> None:
    """Record, in the active run, which leads the registered model was fitted on: `ids`, and the leads whose
    `lead_hashes` are given (those an earlier run fitted the same scorer on)."""
    fitted = lead_hashes(ids) if hashes is None else np.union1d(lead_hashes(ids), hashes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(FITTED_LEADS).name
        np.save(path, fitted)
        mlflow.log_artifact(str(path), str(Path(FITTED_LEADS).parent))


def fitted_leads(run_id: str) -> np.ndarray | None:
    """The lead hashes a run's model was fitted on, or None when the run did not record them."""
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=FITTED_LEADS, dst_path=tmp
            )
            return np.load(path)
    except (MlflowException, OSError, ValueError):
        return None


@dataclass(frozen=True)
class Challenger:
    """What the gate knows of the new version: its pre-refit scores on the holdout and that holdout's identity."""

    holdout: pd.DataFrame  # raw holdout leads, the id column included
    y: np.ndarray
    probability: np.ndarray  # the pre-refit challenger's calibrated probability per holdout lead
    id_column: str
    digest: str
    roc_auc: float


def _enough(y: np.ndarray) -> bool:
    return len(y) >= MIN_FAIR_LEADS and min(int(y.sum()), int(len(y) - y.sum())) >= MIN_FAIR_PER_CLASS


def _compare(name: str, version: str, current: str, new: float, old: float, on: str) -> Registered:
    client = MlflowClient()
    if new >= old:
        client.set_registered_model_alias(name, CHAMPION, version)
        return Registered(name, version, True, f"ROC AUC {new:.4f} >= champion v{current} {old:.4f} on {on}")
    return Registered(name, version, False, f"ROC AUC {new:.4f} < champion v{current} {old:.4f} on {on}")


def _champion_auc(name: str, challenger: Challenger, rows: np.ndarray) -> float:
    """The champion's ROC AUC on some holdout leads; raises when it cannot score them."""
    champion = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
    needs = champion.unwrap_python_model().schema
    absent = [c for c in needs.features if c not in challenger.holdout.columns]
    if absent:
        raise ValueError(f"the holdout has no column {absent[0]!r}")
    typed = as_signature_types(challenger.holdout[rows].reset_index(drop=True), needs)
    return float(roc_auc_score(challenger.y[rows], champion.predict(typed)["probability"]))


def promote(name: str, version: str, challenger: Challenger) -> Registered:
    """Alias the new version @challenger; move @champion to it when it is at least as good (see the module doc)."""
    client = MlflowClient()
    client.set_registered_model_alias(name, CHALLENGER, version)
    current = champion_version(client, name)
    if current is None:
        client.set_registered_model_alias(name, CHAMPION, version)
        return Registered(name, version, True, "no champion yet")
    champion_run = client.get_model_version(name, current).run_id
    seen = fitted_leads(champion_run) if champion_run else None
    ids = challenger.holdout[challenger.id_column].astype(str).reset_index(drop=True)
    unseen = np.ones(len(ids), dtype=bool)
    if seen is not None:
        unseen = ~fitted_on(ids, seen)
    everyone = np.ones(len(ids), dtype=bool)
    if _enough(challenger.y[unseen]):
        rows = unseen
        where = (
            f"the {int(unseen.sum())} holdout leads"
            if unseen.all()
            else f"the {int(unseen.sum())} of {len(ids)} holdout leads champion v{current} was not fitted on"
        )
    else:
        info = _champion_info(name, current)
        metrics = info.get("holdout_metrics")
        recorded = metrics.get("roc_auc") if isinstance(metrics, dict) else None
        if info.get("holdout_digest") == challenger.digest and recorded is not None:
            on = "the same holdout leads and outcomes (recorded by both runs)"
            return _compare(name, version, current, challenger.roc_auc, float(recorded), on)
        rows, flattered = everyone, len(ids) - int(unseen.sum())
        where = f"the {len(ids)} holdout leads"
        if seen is None:
            where += f" (which of them champion v{current} was fitted on was not recorded)"
        elif flattered:
            where += (
                f", {flattered} of which champion v{current} was fitted on (its number is flattered: "
                "promote by hand if this version should serve anyway)"
            )
    try:
        champion_auc = _champion_auc(name, challenger, rows)
    except Exception as error:  # a champion that cannot score this holdout cannot be compared
        why = str(error).splitlines()[0][:200]
        return Registered(
            name, version, False, f"champion v{current} cannot score this holdout ({why}); promote by hand"
        )
    new_auc = float(roc_auc_score(challenger.y[rows], challenger.probability[rows]))
    return _compare(name, version, current, new_auc, champion_auc, where)


def _champion_info(name: str, version: str) -> dict[str, object]:
    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}/{version}").unwrap_python_model()
        return dict(getattr(model, "info", {}) or {})
    except Exception:  # an unloadable champion has no record to compare with
        return {}
