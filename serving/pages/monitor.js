// The score monitor page: reads GET v1/monitor (role admin) and draws drift and live accuracy. No dependencies.
import { explain, withKey } from "./api.js";
import { barChart, groupedBars, intervalChart } from "./charts.js";

const $ = (id) => document.getElementById(id);
const ROLE = "admin";
const api = withKey({ role: ROLE, may: "read the monitor", needs: "show the monitor", retry: () => load() });
const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`);
const num = (v, digits = 3) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));
const count = (v) => (v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en"));

function el(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- messages ----------------------------------------------------------------------------------------------------
function say(text) {
  $("status").textContent = text;
}

function fail(error) {
  const box = $("error");
  box.textContent = explain(error, "Monitor", false, ROLE);
  box.dataset.status = String(error.status);
  box.hidden = false;
  say("");
}


// ---- the window --------------------------------------------------------------------------------------------------
function query() {
  const params = new URLSearchParams();
  for (const name of ["since", "until"]) {
    const value = $(`w-${name}`).value;
    if (value) params.set(name, value);
  }
  return params;
}

function showWindow(report) {
  $("w-since").value = report.window.since.slice(0, 10);
  $("w-until").value = report.window.until.slice(0, 10);
}

// ---- summary -----------------------------------------------------------------------------------------------------
function summary(report) {
  const day = (iso) => iso.slice(0, 16).replace("T", " ");
  $("summary-text").textContent =
    `Model ${report.model.name} version ${report.model.version}: ${count(report.leads)} leads scored from ` +
    `${day(report.window.since)} to ${day(report.window.until)} UTC, against ${count(report.reference_leads)} ` +
    "training leads. " +
    (report.alerts.length ? `${report.alerts.length} alert${report.alerts.length > 1 ? "s" : ""}:` : "");
  if (!report.alerts.length) $("summary-text").append(el("span", { class: "ok" }, "No alerts."));
  const alerts = $("alerts");
  alerts.replaceChildren(...report.alerts.map((a) => el("li", { "data-metric": a.metric }, a.message)));
  const notes = [report.note, ...report.notes, ...((report.performance && report.performance.notes) || [])];
  $("notes").replaceChildren(...notes.filter(Boolean).map((n) => el("li", {}, n)));
  $("summary").hidden = false;
}

// ---- drift -------------------------------------------------------------------------------------------------------
function driftCharts(report) {
  const charts = [];
  const bands = report.bands;
  if (report.features.length) {
    charts.push(
      barChart({
        title: "PSI per feature",
        description: `Population stability index of each feature in the window against the training leads; bands at ${bands.watch} (watch) and ${bands.alert} (alert).`,
        items: report.features.map((f) => ({ label: f.name, value: f.psi, className: f.band })),
        refs: [
          { value: bands.watch, label: "watch", className: "watch" },
          { value: bands.alert, label: "alert", className: "alert" },
        ],
        format: (v) => num(v, 2),
        legend: [["stable", "stable"], ["watch", "watch"], ["alert", "alert"]],
      }),
    );
  }
  if (report.score) {
    const score = report.score;
    charts.push(
      groupedBars({
        title: `Score distribution, now against training (PSI ${num(score.psi, 2)}, ${score.band})`,
        description: "Share of leads per score band, in the training leads and in the window.",
        categories: score.bins,
        series: [
          { name: "training", values: score.training, className: "training" },
          { name: "now", values: score.now, className: "now" },
        ],
        format: pct,
      }),
    );
    const grades = Object.keys(score.grades_training);
    charts.push(
      groupedBars({
        title: "Grade mix, now against training",
        description: "Share of leads per grade, in the training leads and in the window.",
        categories: grades,
        series: [
          { name: "training", values: grades.map((g) => score.grades_training[g]), className: "training" },
          { name: "now", values: grades.map((g) => (score.grades_now[g] ?? null)), className: "now" },
        ],
        format: pct,
      }),
    );
  }
  $("drift-charts").replaceChildren(...charts);
}

function featureRows(report) {
  const rows = report.features.map((f) => {
    const tr = el("tr", { "data-feature": f.name });
    tr.append(el("th", { scope: "row" }, f.name), el("td", { class: "num" }, num(f.psi, 3)));
    const band = el("td");
    band.append(el("span", { class: `band band-${f.band}` }, f.band));
    tr.append(band);
    tr.append(el("td", { class: "num" }, `${pct(f.missing_training)} → ${pct(f.missing_now)}`));
    const unseen = f.unseen_now === null ? "–" : `${pct(f.unseen_training)} → ${pct(f.unseen_now)}`;
    tr.append(el("td", { class: "num" }, unseen));
    const moved = el("ul", { class: "moved" });
    for (const m of f.moved) moved.append(el("li", {}, `${m.bin}: ${pct(m.training)} → ${pct(m.now)}`));
    const cell = el("td");
    cell.append(moved);
    tr.append(cell);
    return tr;
  });
  $("features").tBodies[0].replaceChildren(...rows);
}

// ---- live accuracy -----------------------------------------------------------------------------------------------
function observedRate(group) {
  const o = group.observed;
  if (!o || o.rate === null || !o.interval) return null;
  return { value: o.rate, low: o.interval[0], high: o.interval[1] };
}

function performanceCharts(performance) {
  const weeks = performance.weeks;
  const grades = performance.grades;
  const charts = [];
  if (weeks.length) {
    charts.push(
      intervalChart({
        title: "Conversion rate per week of arrival: expected against observed",
        description: "For leads with a final outcome: the mean probability (expected) and the observed conversion rate with its 95% Wilson interval. Weeks whose outcomes are not in yet show the rate their probabilities expect, and no observed point.",
        categories: weeks.map((w) => w.key),
        expected: weeks.map((w) => (w.pending ? w.expected.rate : w.observed.expected_rate)),
        observed: weeks.map((w) => (w.pending ? null : observedRate(w))),
        format: pct,
        short: (key) => key.slice(5), // "W49": the table below has the year
      }),
    );
  }
  if (grades.length) {
    charts.push(
      intervalChart({
        title: "Conversion rate per grade: expected against observed",
        description: "For leads with a final outcome, per grade: the mean probability and the observed conversion rate with its 95% interval.",
        categories: grades.map((g) => g.key),
        expected: grades.map((g) => g.observed.expected_rate),
        observed: grades.map(observedRate),
        format: pct,
      }),
    );
  }
  $("performance-charts").replaceChildren(...charts);
}

function interval(metric) {
  return metric ? `${num(metric.value)} (${num(metric.low)}–${num(metric.high)})` : "–";
}

function weekRows(performance) {
  const rows = [...performance.weeks, performance.overall].map((w) => {
    const tr = el("tr", { "data-week": w.key, class: w.pending ? "pending" : "" });
    const o = w.observed;
    const conversions = o.conversions === null ? "–" : `${count(o.conversions)} / ${num(o.expected_conversions, 1)}`;
    const sales = w.sales;
    const cells = [
      count(w.leads), count(w.final), count(w.open), conversions, interval(o.roc_auc), interval(o.ece),
      num(w.expected.conversions, 1), num(w.expected.roc_auc), `${pct(sales.acceptance_rate)} / ${pct(sales.win_rate)}`,
    ];
    tr.append(el("th", { scope: "row" }, w.key === "overall" ? "All weeks" : w.pending ? `${w.key} (pending)` : w.key));
    for (const cell of cells) tr.append(el("td", { class: "num" }, cell));
    return tr;
  });
  $("weeks").tFoot.replaceChildren(rows.pop());
  $("weeks").tBodies[0].replaceChildren(...rows);
}

function performance(report) {
  const p = report.performance;
  $("performance").hidden = !p;
  if (!p) return;
  $("performance-window").textContent =
    `Leads that arrived from ${p.since.slice(0, 10)} to ${p.until.slice(0, 10)}; a lead counts once its outcome is ` +
    `final (${p.labels}); open leads are not counted ` +
    "as lost. Expected numbers come from the probabilities alone.";
  performanceCharts(p);
  weekRows(p);
}

// ---- loading -----------------------------------------------------------------------------------------------------
function show(report) {
  showWindow(report);
  summary(report);
  $("drift").hidden = false;
  driftCharts(report);
  featureRows(report);
  performance(report);
  say(`Computed at ${report.computed_at.slice(0, 19).replace("T", " ")} UTC.`);
}

async function load() {
  $("error").hidden = true;
  say("Loading the monitor…");
  try {
    show(await api(`v1/monitor?${query()}`));
  } catch (error) {
    fail(error);
  }
}

// `leadscore monitor --html` writes this page with its report inside (serving/page_file.py): no service to ask
const embedded = document.getElementById("report-data");
if (embedded) {
  $("window").hidden = true;
  show(JSON.parse(embedded.textContent));
} else {
  $("window").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("window").addEventListener("reset", () => {
    setTimeout(load, 0); // after the inputs are cleared: the service's default window
  });
  load();
}
