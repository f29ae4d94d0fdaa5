// Compare: the same request through the pipeline and through the LLM alone, side by side.

import { h, clear, announce } from "./dom.js";
import * as fmt from "./format.js";
import { streamChat, getTrace, remember } from "./api.js";
import { AttachmentTray, buildContent } from "./attachments.js";
import { renderTrace } from "./waterfall.js";
import { llmOf } from "./trace.js";
import { describeError } from "./ask.js";

function metricRows(side) {
  const { result, trace } = side;
  const meta = result && result.meta;
  const llm = llmOf(trace, meta);
  const usage = (result && result.usage) || {};
  return [
    ["Latency (total)", fmt.ms(result && result.totalMs)],
    ["First words after", fmt.ms(result && result.firstTokenMs)],
    ["LLM prompt tokens", fmt.tokens(llm.prompt ?? usage.prompt_tokens)],
    ["LLM completion tokens", fmt.tokens(llm.completion ?? usage.completion_tokens)],
    ["Estimated cost", fmt.usd(trace && trace.cost_usd)],
    ["Escalated to the LLM", meta ? (meta.escalated ? "yes" : "no") : fmt.NOT_RECORDED],
    ["Answerer", (meta && meta.answerer) || (meta && meta.escalated ? "llm" : fmt.NOT_RECORDED)],
    ["Stages", meta && meta.route ? meta.route.join(" → ") : fmt.NOT_RECORDED],
  ];
}

function llmTokens(side) {
  const llm = llmOf(side.trace, side.result && side.result.meta);
  if (llm.prompt === null && llm.completion === null) return null;
  return (llm.prompt || 0) + (llm.completion || 0);
}

function delta(a, b, unit) {
  if (!fmt.isNum(a) || !fmt.isNum(b)) return null;
  if (b === 0) return a === 0 ? "the same" : `${unit(a)} vs none`;
  const change = (a - b) / b;
  const word = change < 0 ? "less" : "more";
  return `${unit(Math.abs(a - b))} ${word} (${Math.abs(Math.round(change * 100))}% ${word})`;
}

export class ComparePanel {
  constructor({ root, getModels }) {
    this.root = root;
    this.getModels = getModels;
    this.form = root.querySelector("#compare-form");
    this.question = root.querySelector("#compare-question");
    this.maxTokens = root.querySelector("#compare-max-tokens");
    this.results = root.querySelector("#compare-results");
    this.error = root.querySelector("#compare-error");
    this.runButton = root.querySelector("#compare-run");
    this.tray = new AttachmentTray({
      list: root.querySelector("#compare-attachments"),
      dropzone: root.querySelector("#compare-dropzone"),
      fileInput: root.querySelector("#compare-file-input"),
      status: root.querySelector("#compare-attach-status"),
      onError: (message) => this.showError(message),
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
  }

  showError(message) {
    this.error.hidden = !message;
    this.error.textContent = message || "";
  }

  /** Fill the form with a request from Ask and run it. */
  load({ question, items, maxTokens }) {
    this.question.value = question;
    if (maxTokens) this.maxTokens.value = String(maxTokens);
    this.tray.setItems(items);
    return this.run();
  }

  column(title, subtitle) {
    const answer = h("div", { class: "answer-text" });
    const status = h("p", { class: "answer-status" }, "Waiting…");
    const metrics = h("dl", { class: "kv metrics" });
    const traceSlot = h("details", { class: "compare-trace" }, h("summary", {}, "Decision trace"));
    const el = h("section", { class: "compare-col", "aria-label": title, "aria-busy": "true" },
      h("h3", {}, title, h("span", { class: "subtitle" }, subtitle)),
      answer, status, metrics, traceSlot);
    return { el, answer, status, metrics, traceSlot };
  }

  async runOne(model, content, maxTokens, col) {
    const side = { model, result: null, trace: null, error: null };
    const body = { model, messages: [{ role: "user", content: content.parts }] };
    if (maxTokens) body.max_tokens = maxTokens;
    col.status.textContent = "Running…";
    try {
      side.result = await streamChat(body, {
        onDelta: (_piece, text) => { col.answer.textContent = text; },
      });
      col.answer.textContent = side.result.text || "(empty answer)";
      col.status.textContent = "Done.";
      const traceId = (side.result.meta && side.result.meta.trace_id) || side.result.requestId;
      remember({ trace_id: traceId, at: Date.now() / 1000, model, question: this.question.value.slice(0, 200) });
      try {
        side.trace = traceId ? await getTrace(traceId) : null;
      } catch (exc) {
        side.traceError = describeError(exc);
      }
      col.traceSlot.append(renderTrace({
        trace: side.trace, meta: side.result.meta, answerText: side.result.text,
        traceError: side.traceError, context: { sources: content.sources },
      }));
    } catch (exc) {
      side.error = describeError(exc);
      col.status.textContent = "";
      col.answer.append(h("p", { class: "error", role: "alert" }, side.error));
    }
    clear(col.metrics).append(...metricRows(side).flatMap(([term, value]) => [
      h("dt", {}, term), h("dd", { class: value === fmt.NOT_RECORDED ? "missing" : null }, value),
    ]));
    col.el.setAttribute("aria-busy", "false");
    return side;
  }

  async run() {
    this.showError("");
    const question = this.question.value.trim();
    if (!question) {
      this.showError("Type a question first.");
      this.question.focus();
      return;
    }
    const models = this.getModels();
    if (models.length < 2) {
      this.showError("The server lists no separate LLM model to compare with.");
      return;
    }
    const [pipeline, llmAlone] = models;
    const maxTokens = Number(this.maxTokens.value) || undefined;
    this.runButton.disabled = true;
    clear(this.results);
    const left = this.column(pipeline, "small models first");
    const right = this.column(llmAlone, "the LLM alone");
    const summary = h("div", { class: "compare-summary", role: "status" });
    this.results.append(h("div", { class: "compare-grid" }, left.el, right.el), summary);
    try {
      const content = await buildContent(question, this.tray.items);
      // One after the other, so the two runs do not compete for the same CPUs.
      const a = await this.runOne(pipeline, content, maxTokens, left);
      const b = await this.runOne(llmAlone, content, maxTokens, right);
      const lines = [];
      const tokens = delta(llmTokens(a), llmTokens(b), (v) => `${fmt.tokens(v)} LLM tokens`);
      if (tokens) lines.push(`${pipeline} used ${tokens}.`);
      const latency = delta(a.result && a.result.totalMs, b.result && b.result.totalMs, fmt.ms);
      if (latency) lines.push(`It took ${latency}.`);
      const cost = delta(a.trace && a.trace.cost_usd, b.trace && b.trace.cost_usd, fmt.usd);
      lines.push(cost ? `Estimated cost: ${cost}.` : "Estimated cost: not recorded.");
      summary.append(h("h3", {}, "Difference"), h("ul", {}, lines.map((line) => h("li", {}, line))));
      announce("Comparison finished");
    } catch (exc) {
      this.showError(describeError(exc));
    } finally {
      this.runButton.disabled = false;
    }
  }
}
