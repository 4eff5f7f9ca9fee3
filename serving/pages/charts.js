// Charts drawn as SVG in the browser from the JSON the page already has: no library, nothing loaded from elsewhere,
// no inline style (the pages' CSP allows style sheets from the service only; colours come from CSS classes).
// Each chart is a <figure> with a caption, an SVG with <title> and <desc>, a legend, and the numbers as a table.

const SVG = "http://www.w3.org/2000/svg";

function svgEl(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function htmlEl(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

let figures = 0;

/** A figure with caption, an SVG of the given size (scaled to the page width) and a legend. */
function figure(title, description, width, height, legend) {
  const id = `chart-${++figures}`;
  const root = htmlEl("figure", { class: "chart" });
  root.append(htmlEl("figcaption", { id: `${id}-caption` }, title));
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`,
    preserveAspectRatio: "xMinYMin meet",
  });
  svg.append(svgEl("title", { id: `${id}-title` }, title), svgEl("desc", { id: `${id}-desc` }, description));
  const scroll = htmlEl("div", { class: "chart-scroll" });  // narrow screens scroll the chart, not shrink its text
  scroll.append(svg);
  root.append(scroll);
  if (legend && legend.length) {
    const list = htmlEl("ul", { class: "legend" });
    for (const [label, className] of legend) {
      const item = htmlEl("li");
      item.append(htmlEl("span", { class: `swatch ${className}`, "aria-hidden": "true" }), document.createTextNode(label));
      list.append(item);
    }
    root.append(list);
  }
  return { root, svg };
}

/** The numbers behind a chart, in a collapsed table (for reading exact values and for screen readers). */
function numbers(columns, rows) {
  const details = htmlEl("details", { class: "numbers" });
  details.append(htmlEl("summary", {}, "Numbers"));
  const table = htmlEl("table");
  const head = htmlEl("tr");
  for (const column of columns) head.append(htmlEl("th", { scope: "col" }, column));
  const thead = htmlEl("thead");
  thead.append(head);
  table.append(thead);
  const body = htmlEl("tbody");
  for (const cells of rows) {
    const tr = htmlEl("tr");
    cells.forEach((cell, i) => tr.append(htmlEl(i ? "td" : "th", i ? { class: "num" } : { scope: "row" }, cell)));
    body.append(tr);
  }
  table.append(body);
  details.append(table);
  return details;
}

/** A round step for about four intervals up to `value` (1, 2, 2.5 or 5 times a power of ten). */
function niceStep(value) {
  const rough = value / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= rough);
}

/** The axis's top (a whole number of round steps at or above `value`) and its ticks from 0. */
function axis(value) {
  const step = value > 0 ? niceStep(value) : 0.25;
  const top = Math.max(step * Math.ceil(value / step - 1e-9), step);
  const ticks = [];
  for (let i = 0; i * step <= top + step / 1e6; i++) ticks.push(i * step);
  return { top, ticks };
}

/**
 * Horizontal bars, one per item ({label, value, className}), with optional vertical reference lines
 * ({value, label, className}): PSI per feature against its bands.
 */
export function barChart({ title, description, items, refs = [], format = String, legend = [] }) {
  const row = 24, left = 190, right = 70, top = 26, width = 720;
  const height = top + Math.max(items.length, 1) * row + 28;
  const { root, svg } = figure(title, description, width, height, legend);
  const { top: max, ticks } = axis(Math.max(...items.map((i) => i.value), ...refs.map((r) => r.value), 0) * 1.05);
  const x = (v) => left + ((width - left - right) * v) / max;
  for (const tick of ticks) {
    svg.append(svgEl("line", { x1: x(tick), x2: x(tick), y1: top - 6, y2: height - 24, class: "grid" }));
    svg.append(svgEl("text", { x: x(tick), y: height - 8, class: "tick", "text-anchor": "middle" }, format(tick)));
  }
  items.forEach((item, i) => {
    const y = top + i * row;
    svg.append(svgEl("text", { x: left - 8, y: y + row / 2 + 4, class: "label", "text-anchor": "end" }, item.label));
    const bar = svgEl("rect", {
      x: left, y: y + 4, width: Math.max(x(item.value) - left, 1), height: row - 8, class: `bar ${item.className || ""}`,
    });
    bar.append(svgEl("title", {}, `${item.label}: ${format(item.value)}`));
    svg.append(bar);
    svg.append(svgEl("text", { x: x(item.value) + 6, y: y + row / 2 + 4, class: "value" }, format(item.value)));
  });
  for (const ref of refs) {
    svg.append(svgEl("line", { x1: x(ref.value), x2: x(ref.value), y1: top - 10, y2: height - 24, class: `ref ${ref.className || ""}` }));
    svg.append(svgEl("text", { x: x(ref.value) + 3, y: top - 12, class: `ref-label ${ref.className || ""}` }, ref.label));
  }
  root.append(numbers(["", "value"], items.map((i) => [i.label, format(i.value)])));
  return root;
}

/** Vertical bars in groups: one group per category, one bar per series ({name, values, className}). */
export function groupedBars({ title, description, categories, series, format = String, axisFormat = format, short = String }) {
  const left = 48, right = 12, top = 16, bottom = 40, width = 720, height = 260;
  const { root, svg } = figure(title, description, width, height, series.map((s) => [s.name, s.className]));
  const { top: max, ticks } = axis(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))) * 1.05);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  for (const tick of ticks) {
    svg.append(svgEl("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
    svg.append(svgEl("text", { x: left - 6, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, axisFormat(tick)));
  }
  const slot = (width - left - right) / Math.max(categories.length, 1);
  const bar = (slot * 0.8) / series.length;
  const every = Math.ceil(categories.length / 12);  // at most a dozen labels on the axis
  categories.forEach((category, i) => {
    const x0 = left + i * slot + slot * 0.1;
    series.forEach((s, j) => {
      const value = s.values[i];
      if (value === null || value === undefined) return;
      const rect = svgEl("rect", {
        x: x0 + j * bar, y: y(value), width: Math.max(bar - 1, 1), height: Math.max(y(0) - y(value), 0.5),
        class: `bar ${s.className}`,
      });
      rect.append(svgEl("title", {}, `${category}, ${s.name}: ${format(value)}`));
      svg.append(rect);
    });
    if (i % every) return;
    svg.append(svgEl("text", { x: x0 + slot * 0.4, y: height - bottom + 16, class: "tick", "text-anchor": "middle" }, short(category)));
  });
  svg.append(svgEl("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis" }));
  const rows = categories.map((c, i) => [c, ...series.map((s) => (s.values[i] === null ? "–" : format(s.values[i])))]);
  root.append(numbers(["", ...series.map((s) => s.name)], rows));
  return root;
}

/**
 * Expected against observed per category (weeks, grades): the expected value as a marker, the observed one as a
 * dot with its interval ({value, low, high} or null when nothing was observed yet).
 */
export function intervalChart({ title, description, categories, expected, observed, format = String, names, short = String }) {
  const left = 56, right = 12, top = 16, bottom = 40, width = 720, height = 260;
  const [expectedName, observedName] = names || ["expected", "observed (95% interval)"];
  const legend = [[expectedName, "expected"], [observedName, "observed"]];
  const { root, svg } = figure(title, description, width, height, legend);
  const values = [...expected, ...observed.flatMap((o) => (o ? [o.value, o.high] : []))].filter((v) => v !== null);
  const { top: max, ticks } = axis(Math.max(0, ...values) * 1.05);
  const y = (v) => top + (height - top - bottom) * (1 - Math.min(v, max) / max);
  for (const tick of ticks) {
    svg.append(svgEl("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
    svg.append(svgEl("text", { x: left - 6, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, format(tick)));
  }
  const slot = (width - left - right) / Math.max(categories.length, 1);
  const every = Math.ceil(categories.length / 12);  // at most a dozen labels on the axis
  categories.forEach((category, i) => {
    const cx = left + (i + 0.5) * slot;
    const o = observed[i];
    if (o) {
      const whisker = svgEl("line", { x1: cx, x2: cx, y1: y(o.low), y2: y(o.high), class: "whisker" });
      svg.append(whisker);
      const dot = svgEl("circle", { cx, cy: y(o.value), r: 5, class: "observed" });
      dot.append(svgEl("title", {}, `${category}: observed ${format(o.value)} (${format(o.low)} to ${format(o.high)})`));
      svg.append(dot);
    }
    if (expected[i] !== null && expected[i] !== undefined) {
      const mark = svgEl("rect", { x: cx - 9, y: y(expected[i]) - 1.5, width: 18, height: 3, class: "expected" });
      mark.append(svgEl("title", {}, `${category}: expected ${format(expected[i])}`));
      svg.append(mark);
    }
    if (i % every === 0) {
      svg.append(svgEl("text", { x: cx, y: height - bottom + 16, class: "tick", "text-anchor": "middle" }, short(category)));
    }
  });
  svg.append(svgEl("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis" }));
  const interval = (o) => (o ? `${format(o.value)} (${format(o.low)}–${format(o.high)})` : "not yet");
  const rows = categories.map((c, i) => [c, expected[i] === null ? "–" : format(expected[i]), interval(observed[i])]);
  root.append(numbers(["", expectedName, observedName], rows));
  return root;
}

const clip = (text, most = 24) => (text.length > most ? `${text.slice(0, most - 1)}…` : text);

/**
 * Horizontal bars per row ({label, values}), one bar or segment per series ({name, className}). `mode` "group": the
 * series side by side on one axis (volume against quality); "stack": segments adding up to the row's total (the
 * funnel); "share": segments as shares of the row's total (a mix). Long labels are clipped, in full on hover.
 */
export function rowBars({ title, description, rows, series, mode = "group", format = String, axisFormat = format }) {
  const lane = mode === "group" ? 9 * series.length + 8 : 24;
  const left = 170, right = 64, top = 8, width = 720;
  const height = top + Math.max(rows.length, 1) * lane + 28;
  const { root, svg } = figure(title, description, width, height, series.map((s) => [s.name, s.className]));
  const totals = rows.map((r) => r.values.reduce((sum, v) => sum + (v || 0), 0));
  const peak = mode === "group" ? Math.max(0, ...rows.flatMap((r) => r.values.filter((v) => v !== null))) : Math.max(0, ...totals);
  const { top: max, ticks } = mode === "share" ? { top: 1, ticks: [0, 0.25, 0.5, 0.75, 1] } : axis(peak * 1.05);
  const x = (v) => left + ((width - left - right) * v) / max;
  const tickText = mode === "share" ? (v) => `${Math.round(100 * v)}%` : axisFormat;
  for (const tick of ticks) {
    svg.append(svgEl("line", { x1: x(tick), x2: x(tick), y1: top - 4, y2: height - 24, class: "grid" }));
    svg.append(svgEl("text", { x: x(tick), y: height - 8, class: "tick", "text-anchor": "middle" }, tickText(tick)));
  }
  rows.forEach((r, i) => {
    const y = top + i * lane;
    const label = svgEl("text", { x: left - 8, y: y + lane / 2 + 4, class: "label", "text-anchor": "end" }, clip(r.label));
    label.append(svgEl("title", {}, r.label));
    svg.append(label);
    let at = 0;
    r.values.forEach((value, j) => {
      if (value === null || value === undefined || (mode !== "group" && !value)) return;
      const part = mode === "share" ? value / totals[i] : value;
      const [x0, y0, h] = mode === "group" ? [0, y + 4 + 9 * j, 8] : [at, y + 4, lane - 8];
      const share = mode === "share" ? ` (${Math.round((100 * value) / totals[i])}%)` : "";
      const rect = svgEl("rect", {
        x: x(x0), y: y0, width: Math.max(x(x0 + part) - x(x0), 1), height: h, class: `bar ${series[j].className}`,
      });
      rect.append(svgEl("title", {}, `${r.label}, ${series[j].name}: ${format(value)}${share}`));
      svg.append(rect);
      if (mode === "group") {
        svg.append(svgEl("text", { x: x(part) + 4, y: y0 + 8, class: "value small" }, format(value)));
      } else at += part;
    });
    if (mode !== "group") {
      svg.append(svgEl("text", { x: x(at) + 6, y: y + lane / 2 + 4, class: "value" }, format(totals[i])));
    }
  });
  const cells = (r, i) => [...r.values.map((v) => (v === null ? "–" : format(v))), ...(mode === "group" ? [] : [format(totals[i])])];
  const columns = ["", ...series.map((s) => s.name), ...(mode === "group" ? [] : ["total"])];
  root.append(numbers(columns, rows.map((r, i) => [r.label, ...cells(r, i)])));
  return root;
}

/** A small line over points ({label, value}) in order, y from 0 to `max` (the score's 100): a history at a glance. */
export function lineChart({ title, description, points, max, format = String }) {
  const left = 34, right = 12, top = 12, bottom = 26, width = 360, height = 150;
  const { root, svg } = figure(title, description, width, height);
  root.classList.add("small");
  const { top: high, ticks } = axis(max ?? Math.max(...points.map((p) => p.value), 0));
  const x = (i) => left + (points.length > 1 ? ((width - left - right) * i) / (points.length - 1) : (width - left - right) / 2);
  const y = (v) => top + (height - top - bottom) * (1 - v / high);
  for (const tick of ticks) {
    svg.append(svgEl("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), class: "grid" }));
    svg.append(svgEl("text", { x: left - 5, y: y(tick) + 4, class: "tick", "text-anchor": "end" }, format(tick)));
  }
  svg.append(svgEl("polyline", { points: points.map((p, i) => `${x(i)},${y(p.value)}`).join(" "), class: "line" }));
  points.forEach((p, i) => {
    const dot = svgEl("circle", { cx: x(i), cy: y(p.value), r: 3.5, class: "dot" });
    dot.append(svgEl("title", {}, `${p.label}: ${format(p.value)}`));
    svg.append(dot);
    svg.append(svgEl("text", { x: x(i), y: height - 8, class: "tick", "text-anchor": "middle" }, p.short ?? String(i + 1)));
  });
  root.append(numbers(["", "value"], points.map((p) => [p.label, format(p.value)])));
  return root;
}
