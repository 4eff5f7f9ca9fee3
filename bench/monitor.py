"""The monitor (serving/monitor.py) over a million stored leads and 200,000 worked by sales, on PostgreSQL.

    .venv/bin/python bench/monitor.py [--sizes 100000,300000,1000000] [--outcomes 200000] [--days 100] [--rounds 1]
                                      [--database URL] [--model URI] [--work DIR] [--keep] [--quick]

Trains a small model on synthetic leads in a temporary MLflow (SQLite; or takes --model, or the one --work holds),
starts a throwaway PostgreSQL as the tests do (tests/postgres_server.py; or takes --database, an empty database or
one this benchmark filled before), and fills it with the largest size's leads, scored by the model, arriving evenly
over --days days, --outcomes of them worked by sales (bench/monitor_store.py, COPY into the store's own tables).

Then for each size, the newest N leads form the window: `monitor()` as `leadscore monitor` calls it, its drift over
the window and its live performance over the same leads (LEADSCORE_MONITOR_OUTCOME_DAYS set to the window's length),
each run in a fresh process: seconds in all, in drift and in live performance (drift ends at the last chunk's
progress call), leads per second, the CPU seconds of the monitor's process (PostgreSQL's own are not in them), and
the process's peak resident memory (VmHWM) and how much the monitor added to it, from the process as it stood with
the model loaded. The baseline, in the same run and also a fresh
process: reading the same window's rows, the drift's columns (payloads included) and the live performance's
columns (first contact included), each in one streamed SELECT. Printed: monitor time / read time per size, and the
growth from the smallest size to the largest in time per lead and in memory. --quick: 5,000 to 20,000 leads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
MODEL_NAME = "monitor-bench"
DATABASE = "leadscore_bench"


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, in MB (Linux)."""
    lines = Path("/proc/self/status").read_text().splitlines()
    found = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in lines if line.startswith("Vm")}
    return {"rss": found["VmRSS"], "peak": found["VmHWM"]}


def run_monitor(args: argparse.Namespace) -> dict[str, Any]:
    """One monitoring run in this (fresh) process, as `leadscore monitor` makes it."""
    from leadscore.loop import load_model, open_store
    from serving.monitor import monitor
    from serving.settings import Settings

    since, until = datetime.fromisoformat(args.since), datetime.fromisoformat(args.until)
    days = (until - since) / timedelta(days=1)
    settings = Settings(database_url=args.database, model_uri=args.model, monitor_outcome_days=days)
    store, loaded = open_store(settings), load_model(settings)
    before = memory()
    seen, marks, step = [0], [0.0], max(args.leads // 5, 1)
    start, cpu = time.perf_counter(), time.process_time()

    def progress(n: int) -> None:
        marks[0] = time.perf_counter() - start
        if (seen[0] + n) // step > seen[0] // step:
            print(
                f"    monitor: {seen[0] + n:,} leads through drift, {marks[0]:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        seen[0] += n

    report = monitor(
        store, loaded.model, model_name=loaded.target.name, model_version=loaded.version,
        since=since, until=until, settings=settings, progress=progress,
    )  # fmt: skip
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    overall = (report.performance or {}).get("overall", {})
    return {
        "seconds": total, "drift": marks[0], "live": total - marks[0], "cpu": cpu, "leads": report.leads,
        "live_leads": overall.get("leads"), "final": overall.get("final"), "alerts": len(report.alerts),
        "rss_before": before["rss"], "peak": memory()["peak"],
    }  # fmt: skip


def run_read(args: argparse.Namespace) -> dict[str, Any]:
    """The baseline: the window's rows as the monitor reads them, each side in one streamed SELECT."""
    from sqlalchemy import func, select

    from serving.store import TRANSITIONS, Lead, LeadStore, Outcome

    since, until = datetime.fromisoformat(args.since), datetime.fromisoformat(args.until)
    inside = (Lead.created_at >= since, Lead.created_at < until)
    contact = (
        select(func.min(Outcome.at))
        .where(Outcome.lead_id == Lead.lead_id, Outcome.outcome.in_(TRANSITIONS["new"]))
        .scalar_subquery()
    )
    queries = {
        "drift": select(Lead.lead_id, Lead.created_at, Lead.payload, Lead.model_version),
        "live": select(
            Lead.lead_id,
            Lead.created_at,
            Lead.probability,
            Lead.score,
            Lead.grade,
            Lead.model_version,
            Lead.status,
            Lead.status_at,
            contact,
        ),
    }
    store = LeadStore(args.database)
    out: dict[str, Any] = {}
    cpu = time.process_time()
    with store.engine.connect() as connection:
        streamed = connection.execution_options(stream_results=True, yield_per=5_000)
        for side, query in queries.items():
            start, rows = time.perf_counter(), 0
            result = streamed.execute(query.where(*inside).order_by(Lead.created_at, Lead.lead_id))
            for part in result.partitions():
                rows += len(part)
            out[side], out[f"{side}_rows"] = time.perf_counter() - start, rows
    out["seconds"], out["cpu"] = out["drift"] + out["live"], time.process_time() - cpu
    return out


def measure(kind: str, url: str, model: str, since: datetime, until: datetime, leads: int) -> dict[str, Any]:
    """One run of `kind` (monitor or read) in a fresh process, with the load average when it ended."""
    command = [sys.executable, __file__, "--child", kind, "--database", url, "--model", model]
    command += ["--since", since.isoformat(), "--until", until.isoformat(), "--leads", str(leads)]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    answer["load"] = os.getloadavg()[0]
    return answer


def train_model(work: Path, rows: int) -> str:
    """A small model registered @champion in work's MLflow (trained once; a later run with --work reuses it)."""
    import mlflow

    uri = f"models:/{MODEL_NAME}@champion"
    if (work / "mlflow.db").is_file():
        return uri
    from leadscore.synthetic import write_synthetic
    from training.config import TrainConfig
    from training.train import train

    print(f"training on {rows:,} synthetic leads (2 folds, 3 trials per family) ...", flush=True)
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    files = write_synthetic(work / "data", rows=rows, seed=0)
    config = TrainConfig(  # type: ignore[call-arg]  # pydantic fills the defaults
        data=files.leads,
        schema_path=files.schema,
        model_name=MODEL_NAME,
        folds=2,
        max_trials=3,
        progress=False,
    )
    train(config)
    return uri


def throwaway_database(work: Path) -> tuple[str, Any]:
    """A database on a throwaway PostgreSQL cluster started as the tests start theirs; (URL, server)."""
    from postgres_server import PostgresServer, find_bin_dir
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    server = PostgresServer(find_bin_dir())
    server.init()
    server.start()
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    admin.dispose()
    return make_url(server.url).set(database=DATABASE).render_as_string(hide_password=False), server


def stored(url: str, args: argparse.Namespace, model: str, total: int) -> None:
    """The store filled with `total` leads, unless it holds that many already (an earlier run's, with --keep)."""
    from monitor_store import fill
    from sqlalchemy import func, select

    from leadscore.loop import load_model, settings_for
    from serving.store import Lead, LeadStore

    store = LeadStore(url)
    store.migrate()
    with store.transaction() as session:
        have = session.scalar(select(func.count()).select_from(Lead)) or 0
    if have >= total:
        print(f"reusing the {have:,} leads stored in the database (filled by an earlier run)", flush=True)
        return
    if have:
        raise SystemExit(f"--database holds {have:,} leads, fewer than {total:,}: give an empty database")
    loaded = load_model(settings_for(url, model))
    print(
        f"filling the store: {total:,} leads over {args.days:g} days, {args.outcomes:,} worked ...",
        flush=True,
    )
    done = fill(store, loaded.model, loaded.version, leads=total, worked=args.outcomes, days=args.days,
                seed=args.seed, progress=lambda line: print(f"  {line}", flush=True))  # fmt: skip
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in done.seconds.items())
    print(f"filled in {sum(done.seconds.values()):.0f} s ({steps}): {done.leads:,} leads, {done.worked:,} "
          f"worked, {done.events:,} outcome events, {done.final:,} final", flush=True)  # fmt: skip
    store.close()


def windows(url: str, sizes: list[int]) -> list[tuple[int, datetime, datetime, int]]:
    """Per size: (size, since, until, leads with a final status in it): the newest `size` leads, up to END."""
    from monitor_store import END
    from sqlalchemy import func, select

    from serving.store import FINAL, Lead, LeadStore

    store = LeadStore(url)
    out = []
    with store.transaction() as session:
        for size in sizes:
            oldest = select(Lead.created_at).order_by(Lead.created_at.desc()).offset(size - 1).limit(1)
            since = session.scalar(oldest)
            if since is None:
                raise SystemExit(f"the store holds fewer than {size:,} leads")
            final = select(func.count()).where(
                Lead.created_at >= since, Lead.created_at < END, Lead.status.in_(FINAL)
            )
            out.append((size, since, END, session.scalar(final) or 0))
    store.close()
    return out


def report(results: dict[int, dict[str, dict[str, Any]]], finals: dict[int, int]) -> None:
    """The table (Markdown, as docs/benchmarks.md shows it) and the growth from the smallest size to the largest."""
    print(f"\n{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores: {' '.join(sys.argv)}")
    print("| leads | monitor s (drift + live) | its CPU s | leads/s | read s (drift + live) | monitor / read "
          "(drift, live) | peak MB (added) | final outcomes (stored) |\n|" + "---|" * 8)  # fmt: skip
    for size, got in results.items():
        m, r = got["monitor"], got["read"]
        print(f"| {m['leads']:,} | {m['seconds']:.1f} ({m['drift']:.1f} + {m['live']:.1f}) | {m['cpu']:.1f} | "
              f"{m['leads'] / m['seconds']:,.0f} | {r['seconds']:.1f} ({r['drift']:.1f} + {r['live']:.1f}) | "
              f"{m['seconds'] / r['seconds']:.1f}x ({m['drift'] / r['drift']:.1f}x, {m['live'] / r['live']:.1f}x) | "
              f"{m['peak']:.0f} (+{m['peak'] - m['rss_before']:.0f}) | {m['final']:,} ({finals[size]:,}) |")  # fmt: skip
    small, large = results[min(results)]["monitor"], results[max(results)]["monitor"]
    read = [results[size]["read"]["seconds"] / size for size in (min(results), max(results))]
    per_lead = [1e6 * m["seconds"] / m["leads"] for m in (small, large)]
    added = [m["peak"] - m["rss_before"] for m in (small, large)]
    print(f"growth {min(results):,} -> {max(results):,} leads: time per lead {per_lead[1] / per_lead[0]:.2f}x "
          f"({per_lead[0]:.0f} -> {per_lead[1]:.0f} us; reading alone {read[1] / read[0]:.2f}x); peak memory "
          f"{large['peak'] / small['peak']:.2f}x ({small['peak']:.0f} -> {large['peak']:.0f} MB; added by the "
          f"monitor {added[0]:.0f} -> {added[1]:.0f} MB)")  # fmt: skip
    loads = [got[k]["load"] for got in results.values() for k in ("monitor", "read")]
    print(f"load average (1 min) at the end of the runs: {min(loads):.1f} to {max(loads):.1f}")


def tear_down(args: argparse.Namespace, url: str, work: Path, server: Any) -> None:
    """After a run: say what --keep kept, else remove the throwaway PostgreSQL and the work folder (unless --work)."""
    if args.keep:
        print(f"kept: --database {url} --work {work}" if server or args.database else f"kept: --work {work}")
        return
    if server is not None:
        server.remove()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", help="leads in the window, comma-separated (default 100000,300000,1000000)"
    )
    parser.add_argument("--outcomes", type=int, help="stored leads worked by sales (default 200000)")
    parser.add_argument(
        "--days", type=float, default=100.0, help="the stored leads arrive over this many days"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved runs per size; the fastest is kept"
    )
    parser.add_argument("--database", help="an empty PostgreSQL database (or one this benchmark filled)")
    parser.add_argument(
        "--model", help="a model URI (MLFLOW_TRACKING_URI names its registry); default: train one"
    )
    parser.add_argument(
        "--work", type=Path, help="keep MLflow and the trained model here (reused when there)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the throwaway PostgreSQL and the work folder"
    )
    parser.add_argument("--quick", action="store_true", help="5,000 to 20,000 leads, 4,000 worked: a check")
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1, help="seed of the stored leads (training uses 0)")
    for hidden in ("--child", "--since", "--until"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--leads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps((run_monitor if args.child == "monitor" else run_read)(args)), flush=True)
        return
    quick = args.quick
    args.sizes = args.sizes or ("5000,10000,20000" if quick else "100000,300000,1000000")
    args.outcomes = args.outcomes or (4_000 if quick else 200_000)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    work = (args.work or Path(tempfile.mkdtemp(prefix="leadscore-bench-monitor-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)  # MLflow's artifacts land beside its database
    if not args.model:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
    server, url = None, args.database
    try:
        model = args.model or train_model(work, args.train_rows)
        if not url:
            url, server = throwaway_database(work)
        stored(url, args, model, sizes[-1])
        spans = windows(url, sizes)
        results: dict[int, dict[str, dict[str, Any]]] = {size: {} for size in sizes}
        for round_ in range(args.rounds):
            for size, since, until, _ in spans:
                for kind in ("read", "monitor"):
                    print(f"round {round_ + 1}: {kind} {size:,} leads ...", flush=True)
                    got = measure(kind, url, model, since, until, size)
                    best = results[size].get(kind)
                    results[size][kind] = got if best is None or got["seconds"] < best["seconds"] else best
        report(results, {size: final for size, _, _, final in spans})
    finally:
        tear_down(args, url, work, server)


if __name__ == "__main__":
    main()
