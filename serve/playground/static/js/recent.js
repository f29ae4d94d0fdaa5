// Recent requests of this key, with filters; a row opens its decision trace.

import { h, clear, announce } from "./dom.js";
import * as fmt from "./format.js";
import { listTraces, getTrace, readHistory } from "./api.js";
import { renderTrace } from "./waterfall.js";
import { describeError } from "./ask.js";

const HISTORY_FETCH = 25;

function totalOf(item) {
  if (fmt.isNum(item.total_ms)) return item.total_ms;
  if (fmt.isNum(item.duration_ms)) return item.duration_ms;
  if (item.timings_ms && fmt.isNum(item.timings_ms.total)) return item.timings_ms.total;
  const ends = (item.stages || []).map((s) => (s.started_ms || 0) + (s.duration_ms || 0));
  return ends.length ? Math.max(...ends) : null;
}

function answererOf(item) {
  return item.answerer || (item.answer && item.answer.answerer) || (item.escalated ? "llm" : null);
}

function statusOk(status) {
  if (typeof status === "number") return status < 400;
  return String(status || "").toLowerCase() === "ok" || /^2\d\d$/.test(String(status));
}

/** The filters applied here as well (a server that ignores one still shows the right rows). */
export function matches(item, filters) {
  if (filters.escalated === "true" && item.escalated !== true) return false;
  if (filters.escalated === "false" && item.escalated !== false) return false;
  if (filters.route && item.route !== filters.route) return false;
  if (filters.status === "error" && statusOk(item.status)) return false;
  if (/^\d{3}$/.test(filters.status) && String(item.status) !== filters.status) return false;
  return true;
}

export class RecentPanel {
  constructor({ root }) {
    this.root = root;
    this.form = root.querySelector("#recent-form");
    this.body = root.querySelector("#recent-rows");
    this.note = root.querySelector("#recent-note");
    this.detail = root.querySelector("#recent-detail");
    this.routeSelect = root.querySelector("#filter-route");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.load();
    });
    for (const select of this.form.querySelectorAll("select")) {
      select.addEventListener("change", () => this.load());
    }
  }

  filters() {
    const data = new FormData(this.form);
    return {
      escalated: data.get("escalated") || "",
      route: data.get("route") || "",
      status: data.get("status") || "",
      limit: Math.min(200, Math.max(1, Number(data.get("limit")) || 50)),
    };
  }

  /** The server filters on an exact status; "any error" is applied here only. */
  static query(filters) {
    const query = { ...filters };
    if (!/^\d{3}$/.test(query.status)) delete query.status;
    return query;
  }

  async load() {
    const filters = this.filters();
    this.note.textContent = "Loading…";
    clear(this.body);
    let items = [];
    try {
      const listed = await listTraces(RecentPanel.query(filters));
      if (listed.supported) {
        items = listed.data;
        this.note.textContent = "Traces of this key, newest first (kept for the server's trace retention).";
      } else {
        items = await this.fromHistory();
        this.note.textContent = "This server cannot list traces yet: showing the requests sent from "
          + "this browser with this key.";
      }
    } catch (exc) {
      this.note.textContent = `Could not load traces: ${describeError(exc)}`;
      return;
    }
    this.addRoutes(items);
    const rows = items.filter((item) => matches(item, filters)).slice(0, filters.limit);
    for (const item of rows) this.body.append(this.row(item));
    if (!rows.length) {
      this.body.append(h("tr", {}, h("td", { colspan: "9", class: "note" }, "No requests match.")));
    }
    announce(`${rows.length} requests listed`);
  }

  async fromHistory() {
    const history = (await readHistory()).slice(0, HISTORY_FETCH);
    const traces = await Promise.all(history.map(async (entry) => {
      try {
        const trace = await getTrace(entry.trace_id, { retries: 0 });
        return { ...trace, question: entry.question };
      } catch {
        return null; // expired or evicted
      }
    }));
    return traces.filter(Boolean);
  }

  addRoutes(items) {
    const known = new Set(Array.from(this.routeSelect.options).map((o) => o.value));
    for (const item of items) {
      if (item.route && !known.has(item.route)) {
        this.routeSelect.append(h("option", { value: item.route }, item.route));
        known.add(item.route);
      }
    }
  }

  row(item) {
    const ok = statusOk(item.status);
    const open = h("button", {
      type: "button", class: "link", "aria-label": `Open trace ${item.trace_id}`,
      onclick: () => this.open(item.trace_id, open),
    }, "Open");
    return h("tr", { dataset: { traceId: item.trace_id } },
      h("td", {}, fmt.when(item.started_at)),
      h("td", {}, item.model || "—"),
      h("td", {}, item.route || "—"),
      h("td", {}, item.escalated === true ? "yes" : item.escalated === false ? "no" : "—"),
      h("td", {}, answererOf(item) || "—"),
      h("td", { class: "num" }, fmt.isNum(item.confidence) ? fmt.confidence(item.confidence) : "—"),
      h("td", {}, h("span", { class: `badge ${ok ? "s-ok" : "s-error"}` }, String(item.status ?? "—"))),
      h("td", { class: "num" }, fmt.ms(totalOf(item))),
      h("td", { class: "num" }, fmt.isNum(item.cost_usd) ? fmt.usd(item.cost_usd) : "—"),
      h("td", {}, open));
  }

  async open(traceId, button) {
    clear(this.detail).append(h("p", { class: "note" }, "Loading the trace…"));
    try {
      const trace = await getTrace(traceId, { retries: 0 });
      const answerText = trace.answer && trace.answer.text;
      clear(this.detail).append(
        h("h3", {}, "Trace ", h("code", {}, traceId)),
        trace.question ? h("p", {}, h("strong", {}, "Question: "), trace.question) : null,
        renderTrace({ trace, meta: null, answerText, context: {} }),
      );
      this.detail.focus();
    } catch (exc) {
      clear(this.detail).append(h("p", { class: "error", role: "alert" }, describeError(exc)));
    }
    if (button) button.setAttribute("aria-describedby", "recent-detail");
  }
}
