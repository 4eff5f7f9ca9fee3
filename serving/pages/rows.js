// The queue table's rows: a lead's cells, its reasons, its action buttons and its live first-contact countdown.

export const ACTIONS = { new: ["accepted", "rejected"], accepted: ["won", "lost"] };
const LABELS = { accepted: "Accept", rejected: "Reject…", won: "Won", lost: "Lost" };

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function formatValue(value) {
  if (value === null || value === undefined) return "missing";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return String(value);
}

function reasonList(reasons) {
  const list = el("ul", { className: "reasons" });
  const add = (reason, sign) => {
    const item = el("li", { className: sign === "+" ? "up" : "down" });
    item.title = `${sign === "+" ? "raises" : "lowers"} the score (log-odds ${reason.impact.toFixed(2)})`;
    item.append(el("span", { className: "arrow", textContent: sign === "+" ? "▲" : "▼" }));
    item.append(el("span", { className: "visually-hidden", textContent: sign === "+" ? "raises: " : "lowers: " }));
    item.append(`${reason.feature} = ${formatValue(reason.value)}`);
    list.append(item);
  };
  if (reasons) {
    reasons.positive.slice(0, 2).forEach((r) => add(r, "+"));
    reasons.negative.slice(0, 2).forEach((r) => add(r, "-"));
  }
  if (!list.children.length) list.append(el("li", { className: "none", textContent: "no reasons stored" }));
  return list;
}

export function actionButtons(item, onAction) {
  const cell = el("td", { className: "actions" });
  for (const outcome of ACTIONS[item.status] || []) {
    const button = el("button", { type: "button", textContent: LABELS[outcome] });
    button.dataset.outcome = outcome;
    button.className = outcome === "rejected" || outcome === "lost" ? "secondary" : "";
    button.setAttribute("aria-label", `${LABELS[outcome].replace("…", "")} lead ${item.lead_id}`);
    button.addEventListener("click", () => onAction(item.lead_id, outcome));
    cell.append(button);
  }
  return cell;
}

export function row(item, onAction) {
  const tr = el("tr");
  tr.dataset.leadId = item.lead_id;
  tr.dataset.status = item.status;
  tr.dataset.slaState = item.sla.state;
  if (item.sla.deadline) tr.dataset.deadline = item.sla.deadline;
  const grade = el("span", { className: `grade grade-${item.grade}`, textContent: item.grade });
  const deadline = el("time", { className: "countdown" });
  if (item.sla.deadline) {
    deadline.dateTime = item.sla.deadline;
    deadline.title = `deadline ${new Date(item.sla.deadline).toLocaleString()} (${item.sla.hours} h for grade ${item.grade})`;
  }
  tr.append(
    el("th", { scope: "row", className: "lead", textContent: item.lead_id }),
    el("td", {}, grade),
    el("td", { className: "num score", textContent: String(item.score) }),
    el("td", { className: "num", textContent: `${(item.probability * 100).toFixed(1)}%` }),
    el("td", { className: "source", textContent: item.source ?? "—" }),
    el("td", { className: "owner", textContent: item.owner ?? "—" }),
    el("td", {}, reasonList(item.reasons)),
    el("td", { className: "sla" }, deadline),
    el("td", { className: "status", textContent: item.status }),
    actionButtons(item, onAction),
  );
  tick(tr, Date.now());
  return tr;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  if (d) return `${d}d ${h}h ${pad(m)}m`;
  if (h) return `${h}h ${pad(m)}m ${pad(s % 60)}s`;
  return `${m}m ${pad(s % 60)}s`;
}

export function tick(tr, now) {
  const time = tr.querySelector(".countdown");
  const slaState = tr.dataset.slaState;
  let overdue = false;
  if (slaState === "nurture") time.textContent = "nurture (no deadline)";
  else if (tr.dataset.status !== "new" || slaState === "met") time.textContent = "contacted";
  else {
    const left = Date.parse(tr.dataset.deadline) - now;
    overdue = left < 0;
    time.textContent = overdue ? `overdue by ${duration(-left)}` : `due in ${duration(left)}`;
  }
  tr.classList.toggle("overdue", overdue);
}

export function tickAll() {
  const now = Date.now();
  document.querySelectorAll("#queue tbody tr").forEach((tr) => tick(tr, now));
}
