// The alignment dashboard: reads GET v1/dashboard (role marketing) and draws its tables with charts.js; each table
// downloads as CSV with the same filters. No dependencies.
import { explain, withKey } from "./api.js";
import { barChart, groupedBars, rowBars } from "./charts.js";
import { download } from "./download.js";

const $ = (id) => document.getElementById(id);
const ROLE = "marketing";
const FILTERS = ["since", "until", "source", "campaign", "owner", "grade"];
const GRADES = ["A", "B", "C", "D"];
const TOP_CAMPAIGNS = 12;
const api = withKey({ role: ROLE, may: "read the dashboard", needs: "show the dashboard", retry: () => load() });
const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(v < 0.1 && v > 0 ? 1 : 0)}%`);
const num = (v, digits = 1) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));
const count = (v) => (v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en"));
const hours = (v) => (v === null || v === undefined ? "–" : `${num(v, v < 10 ? 1 : 0)} h`);
const named = (value, none) => (value === null || value === undefined || value === "" ? none : String(value));
const sum = (rows, column) => rows.reduce((total, row) => total + (row[column] || 0), 0);
const known = { sources: new Set(), campaigns: new Set(), owners: new Set() };
let shown = null; // the dashboard on screen: its CSV links carry the filters its numbers used

function el(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function say(text) {
  $("status").textContent = text;
}

function fail(error, what = "Dashboard") {
  const box = $("error");
  box.textContent = explain(error, what, false, ROLE);
  box.dataset.status = String(error.status);
  box.hidden = false;
  say("");
}

/** Words where a chart would be empty: what is missing and when it appears. */
function empty(text) {
  return el("p", { class: "empty" }, text);
}

// ---- filters: the form, the address bar and the values the store knows --------------------------------------------
function query() {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = $(`f-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function offer(listId, values) {
  $(listId).replaceChildren(...[...values].sort().map((v) => el("option", { value: v })));
}

function learn(tables) {
  for (const row of tables.sources) if (row.source !== null) known.sources.add(row.source);
  for (const row of tables.campaigns) if (row.campaign !== null) known.campaigns.add(row.campaign);
  for (const row of tables.service_owners) if (row.owner !== null) known.owners.add(row.owner);
  offer("known-sources", known.sources);
  offer("known-campaigns", known.campaigns);
  offer("known-owners", known.owners);
}

// ---- summary -------------------------------------------------------------------------------------------------------
function summary(dash) {
  const sources = dash.tables.sources;
  const f = dash.filters;
  const only = ["source", "campaign", "owner", "grade"].filter((k) => f[k]).map((k) => `${k} ${f[k]}`);
  const window = f.since || f.until ? ` arriving ${f.since ? `from ${f.since.slice(0, 10)} ` : ""}${f.until ? `until ${f.until.slice(0, 10)}` : ""}` : "";
  const leads = sum(sources, "leads");
  $("summary-text").textContent = !leads
    ? `No leads${window}${only.length ? ` (${only.join(", ")})` : ""}.`
    : `${count(leads)} leads${window}${only.length ? ` (${only.join(", ")})` : ""} from ` +
    `${sources.length} source${sources.length === 1 ? "" : "s"}: ${num(sum(sources, "expected_conversions"))} ` +
    `expected conversions; sales accepted ${count(sum(sources, "accepted"))}, rejected ` +
    `${count(sum(sources, "rejected"))}, won ${count(sum(sources, "won"))}.`;
  $("notes").replaceChildren(...dash.notes.map((n) => el("li", {}, n)));
  $("summary").hidden = false;
}

// ---- quality per source and campaign -------------------------------------------------------------------------------
function qualityChart(rows, by, what) {
  const leads = sum(rows, "leads") || 1;
  const expected = sum(rows, "expected_conversions") || 1;
  return rowBars({
    title: `Volume against quality per ${what}`,
    description: `Each ${what}'s share of the leads and its share of the expected conversions.`,
    rows: rows.map((r) => ({ label: named(r[by], "(none)"), values: [r.leads / leads, r.expected_conversions / expected] })),
    series: [{ name: "share of leads", className: "s7" }, { name: "share of expected conversions", className: "s0" }],
    format: pct,
  });
}

function quality(dash) {
  const { sources, campaigns } = dash.tables;
  const charts = [qualityChart(sources, "source", "source")];
  charts.push(
    rowBars({
      title: "Grade mix per source",
      description: "Share of each source's leads in each grade (A best).",
      rows: sources.map((r) => ({ label: named(r.source, "(none)"), values: GRADES.map((g) => r[`grade_${g}`]) })),
      series: GRADES.map((g) => ({ name: `grade ${g}`, className: `g${g}` })),
      mode: "share",
      format: count,
    }),
  );
  const top = campaigns.slice(0, TOP_CAMPAIGNS);
  const chart = qualityChart(top, "campaign", "campaign");
  if (campaigns.length > TOP_CAMPAIGNS) {
    chart.querySelector("figcaption").textContent += ` (top ${TOP_CAMPAIGNS} of ${campaigns.length} by expected conversions; all in the CSV)`;
  }
  charts.push(chart);
  $("quality-charts").replaceChildren(...charts);
}

// ---- trend ---------------------------------------------------------------------------------------------------------
function trend(dash) {
  const rows = dash.tables.trend;
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const sources = [...new Set(rows.map((r) => named(r.source, "(none)")))].sort();
  const of = (week, column) => sum(rows.filter((r) => r.week === week), column);
  const columns = [["leads", "s7"], ["expected_conversions", "s0"], ["accepted", "s1"], ["won", "s2"]];
  $("trend-charts").replaceChildren(
    groupedBars({
      title: "Leads, expected conversions, accepted and won per week",
      description: "Per ISO week of arrival: leads, the sum of their probabilities, and how many sales accepted and won so far.",
      categories: weeks,
      series: columns.map(([c, className]) => ({ name: c.replace("_", " "), className, values: weeks.map((w) => of(w, c)) })),
      format: (v) => num(v, Number.isInteger(v) ? 0 : 1),
      short: (week) => week.slice(5),
    }),
    rowBars({
      title: "Expected conversions per week, by source",
      description: "Per ISO week of arrival, the expected conversions each source brought.",
      rows: weeks.map((w) => ({
        label: w,
        values: sources.map((s) => sum(rows.filter((r) => r.week === w && named(r.source, "(none)") === s), "expected_conversions")),
      })),
      series: sources.map((s, i) => ({ name: s, className: `s${i % 8}` })),
      mode: "stack",
      format: (v) => num(v),
    }),
  );
}

// ---- service level -------------------------------------------------------------------------------------------------
function serviceCharts(rows, label, what) {
  const judged = rows.filter((r) => r.met_rate !== null);
  const contacted = rows.filter((r) => r.contacted > 0);
  const charts = [];
  if (judged.length) {
    charts.push(
      barChart({
        title: `Contacted within the deadline, per ${what}`,
        description: `Of the leads whose deadline passed or that were contacted, the share first contacted in time, per ${what}.`,
        items: judged.map((r) => ({ label: `${label(r)} (${r.met} of ${r.judged})`, value: r.met_rate })),
        format: pct,
      }),
    );
  } else charts.push(empty(`No ${what} has a lead whose deadline passed or that sales contacted yet: the share met appears once one has.`));
  if (contacted.length) {
    charts.push(
      rowBars({
        title: `Hours to first contact, per ${what}`,
        description: `Median and 90th percentile of the hours from arrival to first contact (accepted or rejected), per ${what}.`,
        rows: contacted.map((r) => ({ label: label(r), values: [r.median_hours_to_contact, r.p90_hours_to_contact] })),
        series: [{ name: "median", className: "s0" }, { name: "90th percentile", className: "s1" }],
        format: hours,
      }),
    );
  } else charts.push(empty(`No lead first contacted yet: the hours to first contact per ${what} appear as sales accepts or rejects leads.`));
  return charts;
}

function service(dash) {
  const grades = dash.tables.service_grades;
  const deadline = (r) => (r.deadline_hours === null ? "no deadline" : `${r.deadline_hours} h`);
  const overdue = grades.filter((r) => r.overdue_now).map((r) => `${r.grade} ${r.overdue_now}`);
  $("service-hint").textContent =
    "First contact is sales accepting or rejecting the lead; its deadline is the grade's " +
    `(${grades.map((r) => `${r.grade}: ${deadline(r)}`).join(", ")}). ` +
    (overdue.length ? `Overdue now: ${overdue.join(", ")}.` : "No lead is overdue now.");
  const byGrade = serviceCharts(grades.filter((r) => r.leads), (r) => `grade ${r.grade}`, "grade");
  const byOwner = serviceCharts(dash.tables.service_owners, (r) => named(r.owner, "(no owner)"), "owner");
  $("service-charts").replaceChildren(...byGrade, ...byOwner);
}

// ---- funnel and rejection reasons ----------------------------------------------------------------------------------
function funnel(dash) {
  const rows = dash.tables.funnel;
  const outcomes = rows.some((r) => r.accepted || r.rejected);
  const charts = [];
  if (outcomes) {
    const stages = ["won", "lost", "open", "rejected"];
    charts.push(
      rowBars({
        title: "Funnel per source: where the leads are now",
        description: "Each source's leads: won, lost, still open (new or accepted) and rejected by sales.",
        rows: rows.map((r) => ({ label: named(r.source, "(none)"), values: stages.map((s) => r[s]) })),
        series: stages.map((s) => ({ name: s, className: s })),
        mode: "stack",
        format: count,
      }),
    );
  } else charts.push(empty("No sales outcomes yet: the funnel (new, accepted, won) per source appears as sales accepts, rejects, wins or loses leads."));
  const reasons = dash.tables.rejection_reasons;
  if (reasons.length) {
    const names = [...new Set(reasons.map((r) => r.reason))];
    const sources = [...new Set(reasons.map((r) => named(r.source, "(none)")))];
    const of = (s, reason) => sum(reasons.filter((r) => named(r.source, "(none)") === s && r.reason === reason), "count");
    charts.push(
      rowBars({
        title: "Why sales rejected leads, per source",
        description: "How many leads of each source sales rejected, for each reason given.",
        rows: sources.map((s) => ({ label: s, values: names.map((n) => of(s, n)) })),
        series: names.map((n, i) => ({ name: n, className: `s${i % 8}` })),
        mode: "stack",
        format: count,
      }),
    );
  } else charts.push(empty("No lead rejected yet: the reasons sales gives, per source, appear with the first rejection."));
  $("funnel-charts").replaceChildren(...charts);
}

// ---- CSV: each table with the filters of the numbers on screen --------------------------------------------------
for (const button of document.querySelectorAll("button[data-table]")) {
  button.addEventListener("click", () => {
    $("error").hidden = true;
    const table = button.dataset.table;
    download(shown.csv[table], `leadscore-${table}.csv`).catch((error) => fail(error, button.textContent));
  });
}

// ---- loading -------------------------------------------------------------------------------------------------------
function show(dash) {
  shown = dash;
  learn(dash.tables);
  summary(dash);
  const any = dash.tables.sources.length > 0;
  for (const id of ["quality", "trend", "service", "funnel"]) $(id).hidden = !any;
  if (any) {
    quality(dash);
    trend(dash);
    service(dash);
    funnel(dash);
  }
  say(`Computed at ${dash.computed_at.slice(0, 19).replace("T", " ")} UTC.`);
}

async function load() {
  $("error").hidden = true;
  say("Loading the dashboard…");
  const params = query();
  history.replaceState(null, "", params.size ? `?${params}` : location.pathname);
  try {
    show(await api(`v1/dashboard?${params}`));
  } catch (error) {
    fail(error);
  }
}

const initial = new URLSearchParams(location.search); // a shared link opens with its filters
for (const name of FILTERS) if (initial.get(name)) $(`f-${name}`).value = initial.get(name);
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
$("filters").addEventListener("reset", () => {
  setTimeout(load, 0); // after the inputs are cleared
});
load();
