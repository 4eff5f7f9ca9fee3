"""Spark batch scoring, `leadscore score --engine spark`, against the single-process CLI on the same file and machine.

    .venv/bin/python bench/spark.py [--rows 5000000] [--parity-rows 100000] [--rounds 1] [--work DIR]

Trains and registers one model in a temporary MLflow (or uses `lead-scoring@champion` in --work), writes --rows
leads drawn by `leadscore.synthetic.generate_leads` (bench/batch.py's files), and prints, each side the whole job as a
user runs it (process start, JVM start for Spark, model load, reading the CSV, scoring, writing Parquet):
- `leadscore score` (one process, a worker per core) against `--engine spark --master local[2]`, without and with
  reasons: seconds, leads/s, and Spark's time as a multiple of the CLI's (target at most 1.5x);
- `--master local[1]` against `local[2]` without reasons: how Spark's time scales with cores (target at least 1.6x);
- parity on --parity-rows leads: the Spark output and the CLI's, with reasons, compared column by column (the
  probabilities, scores, grades, reasons and sub-scores must be identical).
Each side keeps its best of --rounds interleaved runs (neighbours on a shared machine only slow runs down); the
load average beside each run shows how busy the machine was.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from batch import BIN, MODEL, ensure_model, write_leads


def run(env: dict[str, str], work: Path, data: Path, out: Path, *extra: str) -> tuple[float, str]:
    """(wall seconds, the command) of one `leadscore score` process writing `out` (removed first)."""
    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True)
    command = [
        str(BIN / "leadscore"),
        "score",
        "--model",
        MODEL,
        "--data",
        str(data),
        "--out",
        str(out),
        *extra,
    ]
    began = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - began
    if done.returncode:
        raise RuntimeError(f"{shlex.join(command)} failed: {done.stderr.decode().strip().splitlines()[-1:]}")
    return wall, shlex.join(command)


def spark(master: str) -> list[str]:
    return ["--engine", "spark", "--master", master]


def parity(env: dict[str, str], work: Path, data: Path) -> list[str]:
    """Columns that differ between the CLI's and Spark's Parquet output on `data`, with reasons (none: identical)."""
    import pyarrow.parquet as pq

    run(env, work, data, work / "parity-cli.parquet")
    run(env, work, data, work / "parity-spark.parquet", *spark("local[2]"))
    one = pq.read_table(work / "parity-cli.parquet").sort_by("lead_id")
    other = pq.read_table(work / "parity-spark.parquet").sort_by("lead_id")
    if one.schema.remove_metadata() != other.schema.remove_metadata() or one.num_rows != other.num_rows:
        return ["schema or row count"]
    return [name for name in one.schema.names if not one.column(name).equals(other.column(name))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="leads for the timing")
    parser.add_argument(
        "--parity-rows", type=int, default=100_000, help="leads for the parity check (0 skips)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds; each side keeps its best")
    parser.add_argument("--train-rows", type=int, default=20_000, help="synthetic leads to train on")
    parser.add_argument(
        "--work",
        type=Path,
        help="folder for the MLflow database and the lead files, kept (default: temporary)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadscore-spark-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        env = ensure_model(work, args.train_rows)
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        data = write_leads(work / f"leads-{args.rows}.csv", args.rows, seed=1000)
        sides = {
            "cli": [],
            "spark local[2]": spark("local[2]"),
            "cli reasons": ["--reasons"],
            "spark local[2] reasons": [*spark("local[2]"), "--reasons"],
            "spark local[1]": spark("local[1]"),
        }
        best: dict[str, float] = {}
        commands: dict[str, str] = {}
        for round_ in range(max(1, args.rounds)):
            for side, extra in sides.items():
                reasons = [] if "reasons" in side else ["--no-reasons"]
                wall, commands[side] = run(env, work, data, work / "scored.parquet", *reasons, *extra)
                best[side] = min(best.get(side, wall), wall)
                load = os.getloadavg()[0]
                print(f"  round {round_ + 1} {side:24} {wall:8.1f} s  (load average {load:.1f})", flush=True)
        report(args.rows, best, commands)
        if args.parity_rows:
            small = write_leads(work / f"leads-{args.parity_rows}.csv", args.parity_rows, seed=3000)
            differ = parity(env, work, small)
            verdict = "identical" if not differ else f"DIFFER in {', '.join(differ)}"
            print(
                f"\nparity on {args.parity_rows:,} leads with reasons, the CLI's Parquet against Spark's: {verdict}"
            )


def report(rows: int, best: dict[str, float], commands: dict[str, str]) -> None:
    print(f"\n{rows:,} leads, best of the rounds ({os.cpu_count()} cores), the whole job each:")
    for side, wall in best.items():
        print(f"  {side:24} {wall:8.1f} s  {rows / wall:>10,.0f} leads/s\n    {commands[side]}")
    for label, plain in (("without reasons", ""), ("with reasons", " reasons")):
        ratio = best[f"spark local[2]{plain}"] / best[f"cli{plain}"]
        print(f"  Spark local[2] / CLI {label}: {ratio:.2f}x the CLI's time (target at most 1.5x)")
    scaling = best["spark local[1]"] / best["spark local[2]"]
    print(
        f"  Spark local[1] / local[2] without reasons: {scaling:.2f}x faster on two cores (target at least 1.6x)"
    )


if __name__ == "__main__":
    main()
