// The sales queue page: reads GET v1/queue, records outcomes with POST v1/leads/{id}/outcome. No dependencies.
import { explain, uuid, withKey } from "./api.js";
import { detailPanel } from "./detail.js";
import { ACTIONS, actionButtons, el, markTies, row, tick, tickAll } from "./rows.js";

const DONE = { accepted: "accepted", rejected: "rejected", won: "marked won", lost: "marked lost" };
const state = { cursor: null, filters: new URLSearchParams(), limit: 50, rejecting: null, detail: null, pending: new Map() };
const $ = (id) => document.getElementById(id);
const api = withKey({ role: "sales", may: "work the queue", needs: "show the queue", retry: () => start() });

function onAction(leadId, outcome) {
  if (outcome === "rejected") openReject(leadId);
  else record(leadId, { outcome });
}

// ---- messages -------------------------------------------------------------------------------------------------
function say(text) {
  $("status").textContent = text;
}

function fail(error, what, writing = false) {
  const box = $("error");
  box.textContent = explain(error, what, writing);
  box.dataset.status = String(error.status);
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function remember(listId, value) {
  const list = $(listId);
  if (!value || [...list.options].some((o) => o.value === value)) return;
  list.append(el("option", { value }));
}

function summarize() {
  markTies([...document.querySelectorAll("#queue tbody tr")]);
  const shown = document.querySelectorAll("#queue tbody tr").length;
  const more = state.cursor ? "; more below" : "";
  $("summary").textContent = shown ? `${shown} open lead${shown === 1 ? "" : "s"}, highest score first (ties by probability)${more}` : "No open leads match these filters.";
}

// ---- loading --------------------------------------------------------------------------------------------------
async function loadOptions() {
  const options = await api("v1/queue/options");
  const select = $("reject-reason");
  select.replaceChildren(el("option", { value: "", textContent: "Choose a reason…" }));
  for (const reason of options.rejection_reasons) select.append(el("option", { value: reason, textContent: reason }));
}

async function loadPage(reset) {
  const query = new URLSearchParams(state.filters);
  query.set("limit", String(state.limit));
  if (!reset && state.cursor) query.set("cursor", state.cursor);
  const page = await api(`v1/queue?${query}`);
  const body = $("queue").tBodies[0];
  if (reset) body.replaceChildren();
  for (const item of page.items) {
    body.append(row(item, onAction, openDetail));
    remember("known-sources", item.source);
    remember("known-owners", item.owner);
  }
  state.cursor = page.next_cursor;
  $("more").hidden = !state.cursor;
  summarize();
}

async function start() {
  clearError();
  try {
    await loadOptions();
    await loadPage(true);
  } catch (error) {
    $("summary").textContent = "The queue could not be loaded.";
    fail(error, "Loading the queue");
  }
}

function readFilters() {
  const filters = new URLSearchParams();
  for (const [name, id] of [["grade", "f-grade"], ["source", "f-source"], ["owner", "f-owner"], ["status", "f-status"]]) {
    const value = $(id).value.trim();
    if (value) filters.set(name, value);
  }
  return filters;
}

async function applyFilters(event) {
  event.preventDefault();
  state.filters = readFilters();
  const url = new URL(location.href);
  url.search = new URLSearchParams([...state.filters, ...(state.limit !== 50 ? [["limit", String(state.limit)]] : [])]).toString();
  history.replaceState(null, "", url);
  clearError();
  try {
    await loadPage(true);
    say(`Showing ${document.querySelectorAll("#queue tbody tr").length} leads for these filters.`);
  } catch (error) {
    fail(error, "Filtering the queue");
  }
}

async function loadMore() {
  clearError();
  const before = document.querySelectorAll("#queue tbody tr").length;
  try {
    await loadPage(false);
    const first = document.querySelectorAll("#queue tbody tr")[before];
    if (first) first.querySelector("button")?.focus();
  } catch (error) {
    fail(error, "Loading more leads");
  }
}

// ---- outcomes -------------------------------------------------------------------------------------------------
function rowOf(leadId) {
  return [...document.querySelectorAll("#queue tbody tr")].find((tr) => tr.dataset.leadId === leadId);
}

async function record(leadId, body) {
  const tr = rowOf(leadId);
  const buttons = tr ? [...tr.querySelectorAll("button")] : [];
  // a retry of the same action (after a 503 or a lost answer) reuses its key, so it is recorded at most once
  const intent = JSON.stringify([leadId, body]);
  const key = state.pending.get(intent) || uuid();
  state.pending.set(intent, key);
  buttons.forEach((b) => (b.disabled = true));
  clearError();
  try {
    const event = await api(`v1/leads/${encodeURIComponent(leadId)}/outcome`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body),
    });
    state.pending.delete(intent);
    settled(tr, event);
  } catch (error) {
    if (error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 403) state.pending.delete(intent);
    buttons.forEach((b) => (b.disabled = false));
    fail(error, `Lead ${leadId}`, true);
  }
}

function settled(tr, event) {
  const reason = event.reason ? ` (${event.reason})` : "";
  say(`Lead ${event.lead_id} ${DONE[event.outcome]}${reason}.`);
  if (!tr) return;
  if (!ACTIONS[event.status]) {
    const next = tr.nextElementSibling || tr.previousElementSibling;
    tr.remove();
    summarize();
    (next?.querySelector("button") || $("summary")).focus?.();
    return;
  }
  tr.dataset.status = event.status;
  tr.dataset.slaState = "met";
  tr.querySelector(".status").textContent = event.status;
  const actions = actionButtons({ lead_id: event.lead_id, status: event.status }, onAction);
  tr.lastElementChild.replaceWith(actions);
  tick(tr, Date.now());
  actions.querySelector("button")?.focus();
}

function openReject(leadId) {
  state.rejecting = leadId;
  $("reject-lead").textContent = leadId;
  $("reject-reason").value = "";
  $("reject-note").value = "";
  $("reject-dialog").showModal();
  $("reject-reason").focus();
}

function closeReject() {
  const leadId = state.rejecting;
  state.rejecting = null;
  $("reject-dialog").close();
  rowOf(leadId)?.querySelector("button")?.focus();
}

async function confirmReject(event) {
  event.preventDefault();
  const leadId = state.rejecting;
  const reason = $("reject-reason").value;
  if (!leadId || !reason) return;
  const note = $("reject-note").value.trim();
  state.rejecting = null;
  $("reject-dialog").close();
  await record(leadId, note ? { outcome: "rejected", reason, note } : { outcome: "rejected", reason });
}

// ---- the lead detail panel ------------------------------------------------------------------------------------
async function openDetail(leadId) {
  clearError();
  try {
    const lead = await api(`v1/leads/${encodeURIComponent(leadId)}`);
    $("detail-lead").textContent = leadId;
    $("detail-body").replaceChildren(...detailPanel(lead));
    state.detail = leadId;
    $("detail-dialog").showModal();
    $("detail-title").focus();  // the top of the panel, not its Close button at the bottom
  } catch (error) {
    fail(error, `Lead ${leadId}`);
  }
}

function closeDetail() {
  $("detail-dialog").close();
  rowOf(state.detail)?.querySelector(".lead-id")?.focus();
}

// ---- start ----------------------------------------------------------------------------------------------------
function init() {
  const params = new URLSearchParams(location.search);
  const limit = Number.parseInt(params.get("limit") || "", 10);
  if (limit >= 1 && limit <= 500) state.limit = limit;
  for (const [name, id] of [["grade", "f-grade"], ["source", "f-source"], ["owner", "f-owner"], ["status", "f-status"]]) {
    if (params.get(name)) $(id).value = params.get(name);
  }
  state.filters = readFilters();
  $("filters").addEventListener("submit", applyFilters);
  $("filters").addEventListener("reset", () => setTimeout(() => $("filters").requestSubmit(), 0));
  $("more").addEventListener("click", loadMore);
  $("reject-form").addEventListener("submit", confirmReject);
  $("reject-cancel").addEventListener("click", closeReject);
  $("reject-dialog").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeReject();
  });
  $("detail-close").addEventListener("click", closeDetail);
  $("detail-dialog").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeDetail();
  });
  setInterval(tickAll, 1000);
  start();
}

document.addEventListener("DOMContentLoaded", init);
