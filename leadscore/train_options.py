"""Options two commands share (`train` and `retrain`; `score` and `ingest`), declared once so their names, types
and help never drift apart."""

from __future__ import annotations

from typing import Annotated

import typer

ExperimentOption = Annotated[str, typer.Option(help="MLflow experiment name.")]
ModelNameOption = Annotated[str, typer.Option(help="Registered model name.")]
HoldoutOption = Annotated[
    float,
    typer.Option(help="Share of leads held out to judge the model (the newest when there is a timestamp)."),
]
FoldsOption = Annotated[int, typer.Option(help="Cross-validation folds on the training part.")]
BudgetOption = Annotated[
    float,
    typer.Option(
        help="Optional wall-clock cap in seconds on the hyperparameter search (0, the default: no cap). The search "
        "is counted in trials, so the same data and seed give the same model on any machine; a cap gives that up."
    ),
]
MaxTrialsOption = Annotated[
    int,
    typer.Option(
        help="Most search trials per model family (fewer on big tables; 1: each family's defaults)."
    ),
]
SeedOption = Annotated[int, typer.Option(help="Random seed.")]
AllowLeakyOption = Annotated[
    bool, typer.Option(help="Train even when a feature alone nearly decides the label (warns instead).")
]
StrictOption = Annotated[
    bool,
    typer.Option(
        help="Refuse a file that lacks any of the model's feature columns (without it: a warning, and those "
        "features are scored as missing)."
    ),
]
