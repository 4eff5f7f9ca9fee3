"""Spark batch scoring, `leadscore score --engine spark`, against the single-process CLI on the same file and machine.

    .venv/bin/python bench/spark.py [--rows 5000000] [--parity-rows 100000] [--rounds 1] [--input csv|parquet]
        [--work DIR]

Trains and registers one model in a temporary MLflow (or uses `lead-scoring@champion` in --work), writes --rows
leads drawn by `leadscore.synthetic.generate_leads` (bench/batch.py's files), and prints, each side the whole job as a
user runs it (process start, JVM start for Spark, model load, reading the CSV or, with `--input parquet`, the same
leads written as Parquet, scoring, writing Parquet), with the CPU seconds each kind of process used (the leadscore
process, Spark's JVM, Spark's Python workers) and so how many cores the job kept busy:
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
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from batch import add_run_options, ensure_model, process_tree, score_command, write_leads


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a live process has used (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kind(pid: int, root: int) -> str:
    """Where a process's CPU goes in the report: the leadscore process, its own workers (the CLI's), Spark's JVM or
    Spark's Python workers (asked at each sample: spark-submit's shell script becomes the JVM under the same pid)."""
    name = Path(f"/proc/{pid}/comm").read_text().strip()
    if pid == root:
        return "leadscore"
    return {"java": "JVM", "leadscore": "leadscore workers"}.get(name, "Spark Python workers")


def run(
    env: dict[str, str], work: Path, data: Path, out: Path, *extra: str
) -> tuple[float, str, dict[str, float]]:
    """(wall seconds, the command, CPU seconds by process kind) of one `leadscore score` process writing `out`
    (removed first). The CPU is sampled every 0.2 s (the last 0.2 s of a process that ends may be missed)."""
    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True)
    command = score_command(data, out, *extra)
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    used: dict[int, tuple[str, float]] = {}

    def sample() -> None:
        while process.poll() is None:
            for pid in process_tree(process.pid):
                with contextlib.suppress(OSError, IndexError, ValueError):
                    used[pid] = (kind(pid, process.pid), cpu_seconds(pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, errors = process.communicate()
    wall = time.perf_counter() - began
    sampler.join()
    if process.returncode:
        raise RuntimeError(f"{shlex.join(command)} failed: {errors.decode().strip().splitlines()[-1:]}")
    cpu: dict[str, float] = {}
    for name, seconds in used.values():
        cpu[name] = cpu.get(name, 0.0) + seconds
    return wall, shlex.join(command), cpu


def as_parquet(csv: Path) -> Path:
    """The CSV's leads as one Parquet file beside it (row groups of 100,000 leads), written once."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    path = csv.with_suffix(".parquet")
    if not path.exists():
        partial = path.with_suffix(".partial")
        pq.write_table(pa_csv.read_csv(csv), partial, row_group_size=100_000)
        partial.replace(path)
    return path


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
    parser.add_argument(
        "--input",
        choices=["csv", "parquet"],
        default="csv",
        help="the leads' file format, the same for both sides",
    )
    add_run_options(parser, rounds=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadscore-spark-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        env = ensure_model(work, args.train_rows)
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        data = write_leads(work / f"leads-{args.rows}.csv", args.rows, seed=1000)
        if args.input == "parquet":
            data = as_parquet(data)
        sides = {
            "cli": [],
            "spark local[2]": spark("local[2]"),
            "cli reasons": ["--reasons"],
            "spark local[2] reasons": [*spark("local[2]"), "--reasons"],
            "spark local[1]": spark("local[1]"),
        }
        best: dict[str, float] = {}
        commands: dict[str, str] = {}
        cpus: dict[str, dict[str, float]] = {}
        for round_ in range(max(1, args.rounds)):
            for side, extra in sides.items():
                reasons = [] if "reasons" in side else ["--no-reasons"]
                wall, commands[side], cpu = run(env, work, data, work / "scored.parquet", *reasons, *extra)
                if wall < best.get(side, float("inf")):
                    best[side], cpus[side] = wall, cpu
                load = os.getloadavg()[0]
                print(f"  round {round_ + 1} {side:24} {wall:8.1f} s  (load average {load:.1f})", flush=True)
        report(args.rows, best, commands, cpus)
        if args.parity_rows:
            small = write_leads(work / f"leads-{args.parity_rows}.csv", args.parity_rows, seed=3000)
            differ = parity(env, work, small)
            verdict = "identical" if not differ else f"DIFFER in {', '.join(differ)}"
            print(
                f"\nparity on {args.parity_rows:,} leads with reasons, the CLI's Parquet against Spark's: {verdict}"
            )


def report(
    rows: int, best: dict[str, float], commands: dict[str, str], cpus: dict[str, dict[str, float]]
) -> None:
    print(
        f"\n{rows:,} leads, best of the rounds ({os.cpu_count()} cores), the whole job each, and its CPU seconds:"
    )
    for side, wall in best.items():
        cpu = cpus[side]
        where = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(cpu.items()) if seconds >= 0.05)
        print(
            f"  {side:24} {wall:8.1f} s  {rows / wall:>10,.0f} leads/s  CPU {sum(cpu.values()):6.1f} s"
            f" ({where}), {sum(cpu.values()) / wall:.2f} cores busy\n    {commands[side]}"
        )
    for label, plain in (("without reasons", ""), ("with reasons", " reasons")):
        ratio = best[f"spark local[2]{plain}"] / best[f"cli{plain}"]
        print(f"  Spark local[2] / CLI {label}: {ratio:.2f}x the CLI's time (target at most 1.5x)")
    scaling = best["spark local[1]"] / best["spark local[2]"]
    print(
        f"  Spark local[1] / local[2] without reasons: {scaling:.2f}x faster on two cores (target at least 1.6x)"
    )


if __name__ == "__main__":
    main()
