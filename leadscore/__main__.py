"""`python -m leadscore ...`, and a script path for `spark-submit` (which runs Python files, not console scripts)."""

from leadscore.cli import app

app()
