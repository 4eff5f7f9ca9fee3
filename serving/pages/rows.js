// The queue table's rows: a lead's cells, its reasons, its action buttons and its live first-contact countdown.

export const ACTIONS = { new: ["accepted", "rejected"], accepted: ["won", "lost"] };
const LABELS = { accepted: "Accept", rejected: "Reject…", won: "Won", lost: "Lost" };
// the header of each cell, shown beside it when the table is laid out as cards on a narrow screen
const COLUMNS = ["Lead", "Grade", "Score", "Probability", "Source", "Owner", "Why", "First contact", "Status", "Actions"];
const STATES = { due: "Due", overdue: "Overdue", met: "Met", nurture: "Nurture" };

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
    item.append(reason.label || `${reason.feature} = ${formatValue(reason.value)}`);
    if (reason.unseen) item.append(el("span", { className: "unseen", textContent: " (new value)" }));
    item.title += `; ${reason.feature} = ${formatValue(reason.value)}`;
    list.append(item);
  };
  if (reasons) {
    reasons.positive.slice(0, 2).forEach((r) => add(r, "+"));
    reasons.negative.slice(0, 2).forEach((r) => add(r, "-"));
  }
  if (!list.children.length) list.append(el("li", { className: "none", textContent: "no reasons stored" }));
  return list;
}

// ---- display fields: text only, and a link only for a well-formed e-mail, phone number or http(s) address ----------
const EMAIL = /^[^\s@<>"'()\[\],;:\\]+@[^\s@<>"'()\[\],;:\\]+\.[^\s@<>"'()\[\],;:\\]+$/;
const PHONE = /^\+?[\d\s().\/-]{5,25}$/;

export function contactLink(field, value) {
  if (EMAIL.test(value)) return `mailto:${value}`;
  if (/phone|mobile|tel|cell/i.test(field) && PHONE.test(value) && /\d{3}/.test(value.replace(/\D/g, ""))) {
    return `tel:${value.replace(/[^\d+]/g, "")}`;
  }
  try {
    const url = new URL(value);
    if (url.protocol === "https:" || url.protocol === "http:") return url.href;
  } catch {
    // not an address: shown as text
  }
  return null;
}

function displayList(display) {
  if (!display || !display.length) return null;
  const list = el("ul", { className: "display" });
  display.forEach(({ field, value }, i) => {
    const href = contactLink(field, value);
    const item = el("li", { className: i === 0 ? "first" : "" });
    item.dataset.field = field;
    if (href) {
      const link = el("a", { href, textContent: href.startsWith("http") ? `${field.replace(/_/g, " ")} ↗` : value });
      if (href.startsWith("http")) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.title = value;
      }
      item.append(link);
    } else item.textContent = value;
    list.append(item);
  });
  return list;
}

function detailButton(leadId, onDetail) {
  const button = el("button", { type: "button", className: "lead-id link", textContent: leadId });
  button.setAttribute("aria-label", `Details of lead ${leadId}`);
  button.addEventListener("click", () => onDetail(leadId));
  return button;
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

export function row(item, onAction, onDetail) {
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
  const cells = [
    el("th", { scope: "row", className: "lead" }, detailButton(item.lead_id, onDetail), displayList(item.display)),
    el("td", {}, grade),
    el("td", { className: "num score", textContent: String(item.score) }),
    // two decimals: leads that share a score are ordered, visibly, by what the model said
    el("td", { className: "num probability", textContent: `${(item.probability * 100).toFixed(2)}%` }),
    el("td", { className: "source", textContent: item.source ?? "—" }),
    el("td", { className: "owner", textContent: item.owner ?? "—" }),
    el("td", { className: "why" }, reasonList(item.reasons)),
    el("td", { className: "sla" }, el("span", { className: "sla-state" }), " ", deadline),
    el("td", { className: "status", textContent: item.status }),
    actionButtons(item, onAction),
  ];
  cells.forEach((cell, i) => (cell.dataset.label = COLUMNS[i]));
  tr.append(...cells);
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
  let slaState = tr.dataset.slaState;
  if (slaState === "nurture") time.textContent = "no deadline";
  else if (tr.dataset.status !== "new" || slaState === "met") {
    slaState = "met";
    time.textContent = "contacted";
  } else {
    const left = Date.parse(tr.dataset.deadline) - now;
    slaState = left < 0 ? "overdue" : "due";  // a due lead turns overdue while the page is open
    time.textContent = left < 0 ? `overdue by ${duration(-left)}` : `due in ${duration(left)}`;
  }
  tr.dataset.slaState = slaState;
  const badge = tr.querySelector(".sla-state");
  badge.textContent = STATES[slaState];
  badge.className = `sla-state sla-${slaState}`;
  tr.classList.toggle("overdue", slaState === "overdue");
}

// Rows whose score equals a neighbour's are marked: their order comes from the probability, shown beside it.
export function markTies(rows) {
  rows.forEach((tr, i) => {
    const score = tr.querySelector(".score").textContent;
    const tied = [rows[i - 1], rows[i + 1]].some((other) => other && other.querySelector(".score").textContent === score);
    tr.classList.toggle("tied", tied);
    tr.querySelector(".score").title = tied ? "same score as a neighbour: ordered by probability" : "";
  });
}

export function tickAll() {
  const now = Date.now();
  document.querySelectorAll("#queue tbody tr").forEach((tr) => tick(tr, now));
}
