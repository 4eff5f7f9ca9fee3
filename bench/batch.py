"""The batch CLI, `leadscore score`, on a million generated leads against LightGBM's `booster.predict` on the same rows.

    .venv/bin/python bench/batch.py [--rows 1000000] [--reasons-rows 100000] [--memory-rows 10000000] [--rounds 3]

Trains and registers one model in a temporary MLflow (or uses `lead-scoring@champion` in --work, as bench/serve.py
passes it), writes leads drawn by `leadscore.synthetic.generate_leads` with other seeds than training's, and prints:
- `leadscore score --no-reasons` on --rows leads, the whole job as a user runs it (process start, model load,
  reading, cleaning, encoding, scoring, writing the CSV), against LightGBM's own `booster.predict` with all cores
  on the same rows already encoded into the model's matrix (target: at most 1.0x), and the model's own `scorer.raw`;
- what reasons and sub-scores add per lead, on the first --reasons-rows leads;
- the peak memory of `leadscore score --no-reasons` (the process and its workers, shared pages counted once) on
  --memory-rows leads and on --rows leads: the chunks bound it, not the file (0 skips this).
Each side keeps its best of --rounds interleaved runs, since neighbours on a shared machine only slow runs down; the
CPU seconds beside each time show how busy the machine was.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
MODEL = "models:/lead-scoring@champion"
PIECE = 1_000_000  # leads generated at a time


def ensure_model(work: Path, rows: int) -> dict[str, str]:
    """The environment naming work's MLflow, with a champion trained on `rows` synthetic leads unless one is there."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if not (work / "mlflow.db").is_file():
        print(f"training on {rows:,} synthetic leads ...", flush=True)
        for step in (
            ["generate", "--rows", str(rows), "--seed", "0", "--out", "data"],
            ["train", "--data", "data/leads.csv", "--schema", "data/schema.yaml"],
        ):
            subprocess.run(
                [str(BIN / "leadscore"), *step], env=env, cwd=work, check=True, capture_output=True
            )
    return env


def add_run_options(parser: argparse.ArgumentParser, rounds: int) -> None:
    """--rounds, --train-rows and --work, as bench/batch.py and bench/spark.py take them."""
    parser.add_argument(
        "--rounds", type=int, default=rounds, help="interleaved rounds; each side keeps its best"
    )
    parser.add_argument("--train-rows", type=int, default=20_000, help="synthetic leads to train on")
    parser.add_argument(
        "--work",
        type=Path,
        help="folder for the MLflow database and the lead files, kept (default: a temporary one)",
    )


def write_leads(path: Path, rows: int, seed: int) -> Path:
    """`rows` generated leads as a CSV export, a million at a time, ids unique across the pieces (kept if written)."""
    from leadscore.synthetic import generate_leads

    if path.is_file():
        return path
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    for piece, start in enumerate(range(0, rows, PIECE)):
        table, _ = generate_leads(min(PIECE, rows - start), seed + piece)
        table["lead_id"] = [f"B{start + i:09d}" for i in range(len(table))]
        table.to_csv(partial, mode="a", header=piece == 0, index=False)
    partial.replace(path)
    return path


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, index = [pid], 0
    while index < len(found):
        with contextlib.suppress(OSError):  # gone since
            for task in Path(f"/proc/{found[index]}/task").iterdir():
                found += map(int, (task / "children").read_text().split())
        index += 1
    return found


def score_command(data: Path, out: Path, *extra: str) -> list[str]:
    """The `leadscore score` command line the benches time: the registered champion, `data` to `out`."""
    return [str(BIN / "leadscore"), "score", "--model", MODEL, "--data", str(data), "--out", str(out), *extra]


def tree_memory(pid: int) -> float:
    """MB a process and every process below it hold (Linux's proportional set size: pages they share counted once)."""
    total = 0
    for task in process_tree(pid):
        with contextlib.suppress(OSError):  # a worker gone since
            rollup = Path(f"/proc/{task}/smaps_rollup").read_text()
            total += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total / 1024


def leadscore_score(
    env: dict[str, str], work: Path, data: Path, *extra: str
) -> tuple[float, float, float, str]:
    """(wall, CPU seconds, peak MB of the process and its workers, the command) of one `leadscore score` process."""
    command = score_command(data, work / "scored.csv", *extra)
    began = time.perf_counter()
    log = work / "score.log"
    with open(log, "wb") as errors:
        process = subprocess.Popen(command, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=errors)
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            with contextlib.suppress(OSError):  # the process ended between two reads
                peak[0] = max(peak[0], tree_memory(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)  # usage: the CPU of the process and the workers it waited for
    wall = time.perf_counter() - began
    done.set()
    sampler.join()
    if status:
        raise RuntimeError(f"{shlex.join(command)} failed: {log.read_text().strip().splitlines()[-1:]}")
    return wall, usage.ru_utime + usage.ru_stime, peak[0], shlex.join(command)


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU seconds of this process and its threads) of one call."""
    began, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - began, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="leads for the timing")
    parser.add_argument("--reasons-rows", type=int, default=100_000, help="leads for the cost of reasons")
    parser.add_argument("--memory-rows", type=int, default=10_000_000, help="leads for peak memory (0 skips)")
    add_run_options(parser, rounds=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadscore-batch-") as tmp:
        work = args.work or Path(tmp)
        env = ensure_model(work, args.train_rows)
        data = write_leads(work / f"leads-{args.rows}.csv", args.rows, seed=1000)
        report(work, env, data, args)
        if args.memory_rows:
            big = write_leads(work / f"leads-{args.memory_rows}.csv", args.memory_rows, seed=2000)
            wall, cpu, peak, command = leadscore_score(env, work, big, "--no-reasons")
            small = leadscore_score(env, work, data, "--no-reasons")[2]
            print(
                f"\npeak memory: {peak:,.0f} MB on {args.memory_rows:,} leads ({big.stat().st_size / 1e9:.2f} GB CSV; "
                f"{wall:.1f} s, CPU {cpu:.1f} s), {small:,.0f} MB on {args.rows:,}\n  {command}"
            )


def report(work: Path, env: dict[str, str], data: Path, args: argparse.Namespace) -> None:
    import mlflow
    import numpy as np

    from features.tables import load_table

    os.environ["MLFLOW_TRACKING_URI"] = env["MLFLOW_TRACKING_URI"]
    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    model = mlflow.pyfunc.load_model(MODEL).unwrap_python_model()
    model.prepare()
    matrix = model.matrix(load_table(data))  # the rows exactly as the CLI reads them
    parts = getattr(model.scorer, "parts", [model.scorer])
    boosters = [part.booster for part in parts if hasattr(part, "booster")]
    best: dict[str, tuple[float, float]] = {}
    command = ""
    for _ in range(max(1, args.rounds)):
        wall, cpu, _, command = leadscore_score(env, work, data, "--no-reasons")
        runs = {"cli": (wall, cpu), "raw": timed(lambda: np.asarray(model.scorer.raw(matrix)))}
        if boosters:
            runs["booster"] = timed(lambda: np.asarray(boosters[0].predict(matrix, raw_score=True)))
        for side, run in runs.items():
            best[side] = min(best.get(side, run), run)
    n = len(matrix)
    print(
        f"\nbatch CLI on {n:,} leads ({model.scorer.family}; best of {max(1, args.rounds)}; {os.cpu_count()} cores)"
    )
    print(f"  {command}")
    rows = [
        ("leadscore score --no-reasons", "cli"),
        ("model.scorer.raw", "raw"),
        ("LightGBM booster.predict", "booster"),
    ]
    for label, side in rows:
        if side in best:
            wall, cpu = best[side]
            print(f"  {label:30} {wall:7.2f} s  {n / wall:>10,.0f} leads/s   CPU {cpu:6.1f} s")
    if "booster" in best:
        print(
            f"  ratio {best['cli'][0] / best['booster'][0]:.2f}x LightGBM's booster.predict on the encoded rows "
            "(target at most 1.0x; the CLI's whole job against predict alone)"
        )
    print(f"  ratio {best['cli'][0] / best['raw'][0]:.2f}x the model's own raw scorer on the encoded rows")

    part = work / f"leads-head-{args.reasons_rows}.csv"
    with open(data, "rb") as source, open(part, "wb") as head:
        for _, line in zip(range(args.reasons_rows + 1), source, strict=False):
            head.write(line)
    plain = reasons = (float("inf"), 0.0)
    for _ in range(max(1, args.rounds)):
        plain = min(plain, leadscore_score(env, work, part, "--no-reasons")[:2])
        run = leadscore_score(env, work, part)
        reasons = min(reasons, run[:2])
    print(
        f"\nreasons and sub-scores on {args.reasons_rows:,} leads: {reasons[0]:.2f} s (CPU {reasons[1]:.1f} s) "
        f"against {plain[0]:.2f} s (CPU {plain[1]:.1f} s) without, "
        f"{1000 * (reasons[0] - plain[0]) / args.reasons_rows:.3f} ms a lead more "
        f"({1000 * (reasons[1] - plain[1]) / args.reasons_rows:.3f} ms of CPU)\n  {run[3]}"
    )


if __name__ == "__main__":
    main()
