// The lead detail panel of the queue page: GET v1/leads/{id} in a <dialog>: the lead as received, its score history
// as a small line chart with the trend in words, and for each change of score the reasons whose impact moved it.
import { lineChart } from "./charts.js";
import { el } from "./rows.js";

const TREND = { improving: "Improving", steady: "Steady", declining: "Declining" };
const when = (iso) => new Date(iso).toLocaleString();

function fields(payload) {
  const list = el("dl", { className: "payload" });
  for (const [field, value] of Object.entries(payload)) {
    list.append(el("dt", { textContent: field.replace(/_/g, " ") }));
    list.append(el("dd", { textContent: value === null || value === undefined ? "—" : String(value) }));
  }
  return list;
}

function change(scoring, i) {
  const sign = scoring.score_change > 0 ? "+" : "";
  const item = el("li", { className: "change" });
  item.append(el("strong", { textContent: `Scoring ${i + 1}: ${scoring.score} (${sign}${scoring.score_change})` }));
  item.append(` ${when(scoring.scored_at)}, model ${scoring.model_version}`);
  if (!scoring.moves) item.append(el("p", { className: "none", textContent: "No reasons stored for this change." }));
  else if (!scoring.moves.length) item.append(el("p", { className: "none", textContent: "No reason moved." }));
  else {
    const moves = el("ul", { className: "reasons moves" });
    for (const move of scoring.moves) {
      const up = move.change > 0;
      const line = el("li", { className: up ? "up" : "down" });
      line.title = `${move.feature}: impact ${move.before.toFixed(2)} → ${move.after.toFixed(2)} (log-odds)`;
      line.append(el("span", { className: "arrow", textContent: up ? "▲" : "▼" }));
      line.append(el("span", { className: "visually-hidden", textContent: up ? "raised: " : "lowered: " }));
      line.append(`${move.label} (${up ? "+" : ""}${move.change.toFixed(2)})`);
      moves.append(line);
    }
    item.append(moves);
  }
  return item;
}

export function detailPanel(lead) {
  const history = lead.history;
  const chart = lineChart({
    title: "Score history",
    description: `Scores ${history.map((s) => s.score).join(", ")}, oldest first: ${lead.trend}.`,
    points: history.map((s, i) => ({ label: `${i + 1}. ${when(s.scored_at)}`, value: s.score, short: String(i + 1) })),
    max: 100,
  });
  const trend = el("p", { className: `trend trend-${lead.trend}` });
  trend.append(el("strong", { textContent: TREND[lead.trend] }));
  trend.append(
    ` over ${history.length} scoring${history.length === 1 ? "" : "s"}: ${history[0].score} → ${lead.latest.score}` +
      ` (grade ${lead.latest.grade}; improving or declining once the latest score is 5 or more points from the first)`,
  );
  const changes = el("ul", { className: "changes" });
  history.forEach((s, i) => i && changes.prepend(change(s, i)));  // the latest change first
  const facts = el("p", { className: "facts", textContent: `Status ${lead.status} · owner ${lead.owner ?? "—"} · arrived ${when(lead.created_at)}` });
  return [
    facts,
    chart,
    trend,
    el("h3", { textContent: "What moved each change" }),
    history.length > 1 ? changes : el("p", { className: "none", textContent: "Scored once: no change yet." }),
    el("h3", { textContent: "The lead as received" }),
    fields(lead.payload),
  ];
}
