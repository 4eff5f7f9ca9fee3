"""The code MLflow runs to load a registered lead model ("models from code"): an empty LeadModel for `load_context`.

Nothing imports this module: training/register.py gives MLflow its path, MLflow copies it into the model and runs
it at every load, and the model then reads its fitted state from the plain files logged beside it
(features/model_files.py). No pickle is written or read.
"""

from mlflow.models import set_model

from features.model import LeadModel

set_model(LeadModel.unloaded())
