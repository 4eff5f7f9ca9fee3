"""The dashboard's store queries (serving/store/dashboard.py) on a million leads, 300,000 worked by sales, in PostgreSQL.

    .venv/bin/python bench/dashboard.py [--leads 1000000] [--outcomes 300000] [--days 100] [--rounds 3]
                                        [--database URL] [--model URI] [--work DIR] [--keep] [--quick]

The store is made as bench/monitor.py makes it (its model, throwaway PostgreSQL and bench/monitor_store.py's fill,
reused: leads with owners, outcomes with rejection reasons), or taken from --database. Then for each window (the
whole store, the last 30 days before its end) and filter (none, the busiest owner, the biggest source), as `GET
/v1/dashboard` asks: each query the dashboard runs, timed in this process (best of --rounds): the source report by
source (its rows also give the funnel and the rejection reasons) and by campaign, the weekly trend, the service level
(as of the store's end), whether any outcome exists, and the whole `dashboard()`. The baseline, in the same rounds:
`SELECT count(*), sum(probability)` over the same leads, the cheapest read of those rows. Printed: seconds per query,
dashboard / baseline, and per SQL statement (caught as SQLAlchemy sends it) what `EXPLAIN (ANALYZE, FORMAT JSON)`
shows: the indexes it used and any sequential scan of the big tables. --quick: 20,000 leads, 6,000 worked.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from monitor import stored, tear_down, throwaway_database, train_model  # noqa: E402
from monitor_store import END  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from serving.settings import Settings  # noqa: E402
from serving.store import Lead, LeadStore  # noqa: E402
from serving.store.dashboard import dashboard, has_outcomes, weekly_trend  # noqa: E402
from serving.store.lead_filters import LeadFilters  # noqa: E402
from serving.store.report import source_report  # noqa: E402
from serving.store.service_level import service_level  # noqa: E402

BIG = {"leads", "lead_outcomes", "lead_scores"}  # tables whose sequential scans are reported
Query = Callable[[LeadStore, LeadFilters], Any]


def queries(sla: dict[str, float | None]) -> dict[str, Query]:
    """The dashboard's queries as `dashboard()` calls them, the whole of it last, the baseline first."""

    def baseline(store: LeadStore, f: LeadFilters) -> Any:
        with store.transaction() as session:
            return session.execute(
                select(func.count(), func.sum(Lead.probability)).where(*f.conditions())
            ).one()

    return {
        "baseline": baseline,
        "sources": lambda s, f: source_report(s, "source", f.since, f.until, filters=f, top_reasons=None),
        "campaigns": lambda s, f: source_report(s, "campaign", f.since, f.until, filters=f),
        "trend": weekly_trend,
        "service": lambda s, f: service_level(s, sla, f, now=END),
        "has_outcomes": lambda s, f: has_outcomes(s),
        "dashboard": lambda s, f: dashboard(s, sla, f, now=END),
    }


@contextmanager
def caught(store: LeadStore) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with their parameters) the store sends while inside."""
    sent: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)


def scans(node: dict[str, Any]) -> Iterator[str]:
    """Every scan in a plan: 'Index Scan ix_...' or 'Seq Scan leads' (parallel ones marked)."""
    kind = node["Node Type"]
    if "Index Name" in node:
        yield f"{kind} {node['Index Name']}"
    elif kind == "Seq Scan" and node.get("Relation Name") in BIG:
        yield f"{'Parallel ' if node.get('Parallel Aware') else ''}Seq Scan {node['Relation Name']}"
    for child in node.get("Plans", []):
        yield from scans(child)


def explain(store: LeadStore, statement: str, parameters: Any) -> tuple[float, list[str]]:
    """EXPLAIN (ANALYZE, FORMAT JSON) of one statement: its execution ms and its scans, in plan order."""
    with store.engine.connect() as connection:
        raw = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar()
    plan = raw[0] if isinstance(raw, list) else raw
    return plan["Execution Time"], list(dict.fromkeys(scans(plan["Plan"])))


def scenarios(store: LeadStore) -> dict[str, LeadFilters]:
    """Whole store and last 30 days; unfiltered, the busiest owner, the biggest source."""
    with store.transaction() as session:
        source, owner = (
            session.execute(
                select(column).where(column.is_not(None)).group_by(column)
                .order_by(func.count().desc(), column).limit(1)
            ).scalar()
            for column in (Lead.source, Lead.owner)
        )  # fmt: skip
    windows = {"all": LeadFilters(), "30 days": LeadFilters(since=END - timedelta(days=30), until=END)}
    out = {}
    for window, f in windows.items():
        out[f"{window}"] = f
        out[f"{window}, owner={owner}"] = LeadFilters(f.since, f.until, owner=owner)
        out[f"{window}, source={source}"] = LeadFilters(f.since, f.until, source=source)
    return out


def measure(store: LeadStore, rounds: int) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str, Any]]]:
    """Per scenario: per query the best seconds (and its CPU seconds), and the baseline's lead count;
    and the statements each query of each scenario sent (scenario, query, (statement, parameters))."""
    runs = queries(Settings().sla_hours)
    cases = scenarios(store)
    results: dict[str, dict[str, Any]] = {name: {} for name in cases}
    statements: list[tuple[str, str, Any]] = []
    for round_ in range(rounds):
        for name, f in cases.items():
            print(f"round {round_ + 1}: {name} ...", flush=True)
            for query, run in runs.items():
                with caught(store) as sent:
                    start, cpu = time.perf_counter(), time.process_time()
                    answer = run(store, f)
                    took = (time.perf_counter() - start, time.process_time() - cpu)
                best = results[name].get(query)
                results[name][query] = took if best is None or took[0] < best[0] else best
                if query == "baseline":
                    results[name]["leads"] = answer[0]
                if round_ == 0 and query not in ("dashboard",):
                    statements += [
                        (name, query, s) for s in sent if s[0].lstrip().upper().startswith("SELECT")
                    ]
    return results, statements


def report(results: dict[str, dict[str, Any]], plans: list[tuple[str, str, int, float, list[str]]]) -> None:
    """The seconds table and the plans table (Markdown, as docs/benchmarks.md shows them)."""
    print(f"\n{datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}: "
          f"{' '.join(sys.argv)}")  # fmt: skip
    names = ["sources", "campaigns", "trend", "service", "has_outcomes", "dashboard"]
    print(f"| leads (window, filter) | baseline s | {' | '.join(f'{n} s' for n in names)} | dashboard CPU s "
          f"| dashboard / baseline |\n|" + "---|" * (len(names) + 4))  # fmt: skip
    for name, got in results.items():
        cells = " | ".join(f"{got[n][0]:.3f}" for n in names)
        print(f"| {got['leads']:,} ({name}) | {got['baseline'][0]:.3f} | {cells} | {got['dashboard'][1]:.2f} | "
              f"{got['dashboard'][0] / got['baseline'][0]:.1f}x |")  # fmt: skip
    print("\n| window, filter | query | per statement: EXPLAIN ANALYZE ms, scans (index; Seq Scan of a big table) |"
          "\n|---|---|---|")  # fmt: skip
    rows: dict[tuple[str, str], list[str]] = {}
    for name, query, number, ms, used in plans:
        rows.setdefault((name, query), []).append(f"{number}: {ms:.0f} ms, {', '.join(used) or 'no scan'}")
    for (name, query), cells in rows.items():
        print(f"| {name} | {query} | {'; '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, help="leads in the store (default 1000000)")
    parser.add_argument("--outcomes", type=int, help="stored leads worked by sales (default 300000)")
    parser.add_argument("--days", type=float, default=100.0, help="the leads arrive over this many days")
    parser.add_argument("--rounds", type=int, help="runs of every query; the fastest is kept (default 3)")
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
    parser.add_argument("--quick", action="store_true", help="20,000 leads, 6,000 worked, 1 round: a check")
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1, help="seed of the stored leads (training uses 0)")
    args = parser.parse_args()
    args.leads = args.leads or (20_000 if args.quick else 1_000_000)
    args.outcomes = args.outcomes or (6_000 if args.quick else 300_000)
    rounds = args.rounds or (1 if args.quick else 3)
    work = (args.work or Path(tempfile.mkdtemp(prefix="leadscore-bench-dashboard-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)  # MLflow's artifacts land beside its database
    if not args.model:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
    server, url = None, args.database
    try:
        model = args.model or train_model(work, args.train_rows)
        if not url:
            url, server = throwaway_database(work)
        stored(url, args, model, args.leads)
        store = LeadStore(url)
        results, sent = measure(store, rounds)
        print("explaining each statement ...", flush=True)
        plans: list[tuple[str, str, int, float, list[str]]] = []
        numbers: dict[tuple[str, str], int] = {}
        for name, query, (statement, parameters) in sent:
            number = numbers[name, query] = numbers.get((name, query), 0) + 1
            plans.append((name, query, number, *explain(store, statement, parameters)))
        store.close()
        report(results, plans)
    finally:
        tear_down(args, url, work, server)


if __name__ == "__main__":
    main()
