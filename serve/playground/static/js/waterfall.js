// The trace waterfall: one bar per stage on a time axis, coloured (and labelled) by status.

import { h, clear, uid } from "./dom.js";
import * as fmt from "./format.js";
import {
  STATUSES, STATUS_LABEL, stageRows, totalMs, tickStep, answerOf, llmOf, observationsFor,
  isCited,
} from "./trace.js";
import { renderStageDetail } from "./stage_detail.js";

function fact(term, value, extra = {}) {
  const missing = value === fmt.NOT_RECORDED || value === null || value === undefined;
  return h("div", { class: "fact" },
    h("dt", {}, term),
    h("dd", { class: missing ? "missing" : extra.class || null, dataset: extra.dataset },
      missing ? fmt.NOT_RECORDED : value));
}

function escalationText(trace, meta) {
  const escalated = trace && typeof trace.escalated === "boolean" ? trace.escalated
    : meta && typeof meta.escalated === "boolean" ? meta.escalated : null;
  if (escalated === null) return { escalated, text: null };
  if (!escalated) return { escalated, text: "no — answered by the small stack" };
  const reason = trace && trace.escalation_reason;
  return { escalated, text: reason ? `yes — ${reason}` : "yes (reason not recorded)" };
}

/** The facts line above the bars: route, answerer, confidence, escalation, tokens, cost. */
export function traceFacts(trace, meta, answerText, axisTotal = null) {
  const answer = answerOf(trace, meta, answerText);
  const llm = llmOf(trace, meta);
  const escalation = escalationText(trace, meta);
  const route = trace && trace.route ? trace.route
    : meta && Array.isArray(meta.route) ? meta.route.join(" → ") : null;
  const tokens = llm.prompt === null && llm.completion === null ? null
    : `${fmt.tokens(llm.prompt)} in · ${fmt.tokens(llm.completion)} out`;
  const total = meta && meta.timings_ms && fmt.isNum(meta.timings_ms.total)
    ? meta.timings_ms.total : trace && fmt.isNum(axisTotal) && trace.stages && trace.stages.length
      ? axisTotal : null;
  return h("dl", { class: "facts" },
    fact("Route", route),
    fact("Answerer", answer.answerer || (escalation.escalated ? "llm" : null)),
    fact("Confidence", fmt.isNum(answer.confidence) ? fmt.confidence(answer.confidence) : null),
    fact("Escalated", escalation.text, { dataset: { escalated: String(escalation.escalated) } }),
    fact("LLM tokens", tokens),
    fact("Est. cost", trace && fmt.isNum(trace.cost_usd) ? fmt.usd(trace.cost_usd) : null),
    fact("Total", total !== null ? fmt.ms(total) : null),
    fact("Sources", answer.sources && answer.sources.length ? answer.sources.join(", ") : null),
  );
}

function axis(total) {
  const step = tickStep(total);
  const ticks = [];
  for (let t = 0; t <= total + 1e-9; t += step) {
    ticks.push(h("span", { class: "tick", style: { left: `${(t / total) * 100}%` } },
      t === 0 ? "0" : fmt.ms(t)));
  }
  return h("div", { class: "axis", "aria-hidden": "true" },
    h("span", { class: "axis-label" }, "stage"), h("span", { class: "axis-track" }, ticks));
}

export function legend() {
  return h("ul", { class: "legend", "aria-label": "Status colours" },
    STATUSES.map((status) => h("li", {},
      h("span", { class: `swatch s-${status}`, "aria-hidden": "true" }), STATUS_LABEL[status])),
    h("li", {}, h("span", { class: "cited-mark", "aria-hidden": "true" }, "★"), "cited by the answer"));
}

/**
 * The decision trace of one answer. ``context.sources`` maps citation ids (doc1, img1...) to the
 * attached files (for page images and audio); ``traceError`` explains a missing trace.
 */
export function renderTrace({ trace, meta, answerText, traceError, context = {} }) {
  const rows = stageRows(trace, meta);
  const total = totalMs(trace, meta, rows);
  const answer = answerOf(trace, meta, answerText);
  const detailId = uid("stage-detail");
  const section = h("section", { class: "trace", "aria-label": "Decision trace" });
  const heading = h("h3", { class: "trace-title" }, "Decision trace",
    trace && trace.trace_id ? h("code", { class: "trace-id" }, trace.trace_id) : null);
  section.append(heading, traceFacts(trace, meta, answerText, total));
  if (!trace) {
    section.append(h("p", { class: "note" }, traceError
      ? `Trace not available (${traceError}); showing the response's own stage timings.`
      : "Loading the trace…"));
  }
  if (trace && trace.error) {
    section.append(h("p", { class: "note error-note" }, `Request error (HTTP ${trace.status}): ${trace.error}`));
  }
  const detail = h("div", { class: "stage-detail", id: detailId, hidden: true, tabindex: "-1" });
  const list = h("ul", { class: "waterfall", "aria-label": "Stages on a time axis" });
  let openKey = null;
  const buttons = [];
  for (const row of rows) {
    const observations = observationsFor(trace, row);
    const cited = Boolean(observations && observations.some((o) => isCited(o, answer.sources)));
    const left = fmt.isNum(row.started) ? (row.started / total) * 100 : 0;
    const width = fmt.isNum(row.duration) ? (row.duration / total) * 100 : 0;
    const timing = row.status === "skipped" && !fmt.isNum(row.duration)
      ? `skipped${row.reason ? `: ${row.reason}` : ""}`
      : `${fmt.ms(row.duration)}${row.approximate ? "" : ` at ${fmt.ms(row.started)}`}`;
    const spoken = [row.label, STATUS_LABEL[row.status], timing,
      fmt.isNum(row.confidence) ? `confidence ${fmt.confidence(row.confidence)}` : null,
      cited ? "cited by the answer" : null].filter(Boolean).join(", ");
    const bar = row.status === "skipped" && !fmt.isNum(row.duration)
      ? h("span", { class: "skip-reason" }, row.reason || "skipped")
      : h("span", {
        class: `bar s-${row.status}`,
        style: { left: `${Math.min(left, 99.5)}%`, width: `${Math.max(width, 0)}%` },
      });
    const button = h("button", {
      type: "button", class: "stage-row", "aria-expanded": "false", "aria-controls": detailId,
      "aria-label": spoken, dataset: { stage: row.name, status: row.status, key: row.key },
    },
    h("span", { class: "stage-name" },
      cited ? h("span", { class: "cited-mark", title: "cited by the answer" }, "★") : null,
      h("span", { class: "stage-label" }, row.label),
      h("span", { class: `badge s-${row.status}` }, STATUS_LABEL[row.status])),
    h("span", { class: "track" }, bar),
    h("span", { class: "stage-time" }, row.status === "skipped" && !fmt.isNum(row.duration)
      ? "—" : fmt.ms(row.duration)));
    button.addEventListener("click", () => {
      const opening = openKey !== row.key;
      openKey = opening ? row.key : null;
      for (const other of buttons) other.setAttribute("aria-expanded", String(opening && other === button));
      clear(detail);
      detail.hidden = !opening;
      if (opening) {
        detail.append(renderStageDetail(row, { trace, meta, answer, observations, ...context }));
        detail.setAttribute("aria-label", `Details of stage ${row.label}`);
      }
    });
    buttons.push(button);
    list.append(h("li", { class: "stage-item" }, button));
  }
  if (!rows.length) list.append(h("li", { class: "note" }, "No stages recorded."));
  section.append(h("div", { class: "waterfall-wrap" }, axis(total), list), legend(), detail);
  if (trace && !Array.isArray(trace.observations)) {
    section.append(h("p", { class: "note" },
      "This server's traces do not record observations yet: stages show their summaries only."));
  }
  return section;
}
