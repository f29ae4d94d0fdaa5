// Ask: the chat box. Each question goes out with the attached files, streams its answer, and
// gets its decision trace drawn underneath.

import { h, clear, announce } from "./dom.js";
import * as fmt from "./format.js";
import { ApiError, streamChat, getTrace, remember } from "./api.js";
import { AttachmentTray, buildContent } from "./attachments.js";
import { renderTrace } from "./waterfall.js";

/** Fetch the trace of a finished request and (re)draw it in ``slot``. */
export async function showTrace(slot, { traceId, meta, answerText, context }) {
  clear(slot).append(renderTrace({ trace: null, meta, answerText, context }));
  if (!traceId) {
    clear(slot).append(renderTrace({ trace: null, meta, answerText, traceError: "no trace id", context }));
    return null;
  }
  try {
    const trace = await getTrace(traceId);
    clear(slot).append(renderTrace({ trace, meta, answerText, context }));
    return trace;
  } catch (exc) {
    const reason = exc instanceof ApiError ? exc.describe() : exc.message;
    clear(slot).append(renderTrace({ trace: null, meta, answerText, traceError: reason, context }));
    return null;
  }
}

export function describeError(exc) {
  if (exc instanceof ApiError) {
    if (exc.status === 401) return `${exc.describe()} — enter an API key above.`;
    return exc.describe();
  }
  return exc && exc.message ? exc.message : String(exc);
}

export class AskPanel {
  constructor({ root, getModel, onCompare, onAnswered }) {
    this.root = root;
    this.getModel = getModel;
    this.onCompare = onCompare;
    this.onAnswered = onAnswered || (() => {});
    this.form = root.querySelector("#ask-form");
    this.question = root.querySelector("#question");
    this.conversation = root.querySelector("#conversation");
    this.sendButton = root.querySelector("#send");
    this.stopButton = root.querySelector("#stop");
    this.error = root.querySelector("#ask-error");
    this.maxTokens = root.querySelector("#max-tokens");
    this.controller = null;
    this.tray = new AttachmentTray({
      list: root.querySelector("#attachments"),
      dropzone: root.querySelector("#dropzone"),
      fileInput: root.querySelector("#file-input"),
      recordButton: root.querySelector("#record"),
      status: root.querySelector("#attach-status"),
      onError: (message) => this.showError(message),
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.question.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.stopButton.addEventListener("click", () => this.controller && this.controller.abort());
  }

  showError(message) {
    this.error.hidden = !message;
    this.error.textContent = message || "";
  }

  busy(on) {
    this.sendButton.disabled = on;
    this.stopButton.hidden = !on;
  }

  async send() {
    const question = this.question.value.trim();
    this.showError("");
    if (!question) {
      this.showError("Type a question first.");
      this.question.focus();
      return;
    }
    const items = [...this.tray.items];
    const model = this.getModel();
    const maxTokens = Number(this.maxTokens.value) || undefined;
    const answerEl = h("div", { class: "answer-text", "aria-live": "off" });
    const status = h("p", { class: "answer-status" }, "Sending…");
    const traceSlot = h("div", { class: "trace-slot" });
    const actions = h("div", { class: "answer-actions" });
    const turn = h("li", { class: "turn" },
      h("div", { class: "bubble user" },
        h("h3", { class: "sr-only" }, "You asked"),
        h("p", { class: "question-text" }, question),
        items.length ? h("p", { class: "attached" }, `with ${items.map((i) => i.name).join(", ")}`) : null),
      h("div", { class: "bubble assistant", "aria-busy": "true" },
        h("h3", { class: "who" }, model), answerEl, status, actions, traceSlot));
    this.conversation.append(turn);
    turn.scrollIntoView({ block: "nearest" });
    this.busy(true);
    this.controller = new AbortController();
    let result = null;
    let sources = {};
    try {
      const content = await buildContent(question, items);
      sources = content.sources;
      const body = { model, messages: [{ role: "user", content: content.parts }] };
      if (maxTokens) body.max_tokens = maxTokens;
      status.textContent = "Waiting for the first words…";
      result = await streamChat(body, {
        signal: this.controller.signal,
        onDelta: (_piece, text) => {
          answerEl.textContent = text;
          status.textContent = "Streaming…";
        },
      });
      answerEl.textContent = result.text || "(empty answer)";
      const meta = result.meta;
      status.textContent = `Answered in ${fmt.ms(result.totalMs)} (first words after ${fmt.ms(result.firstTokenMs)})`
        + (meta ? ` · ${meta.escalated ? "escalated to the LLM" : "no LLM call"}` : "");
      announce("Answer ready");
      const traceId = (meta && meta.trace_id) || result.requestId;
      remember({ trace_id: traceId, at: Date.now() / 1000, model, question: question.slice(0, 200) });
      actions.append(h("button", {
        type: "button", class: "secondary",
        onclick: () => this.onCompare({ question, items, maxTokens }),
      }, "Compare with the LLM alone"));
      this.question.value = "";
      await showTrace(traceSlot, { traceId, meta, answerText: result.text, context: { sources } });
      this.onAnswered();
    } catch (exc) {
      if (exc.name === "AbortError") {
        status.textContent = "Stopped.";
      } else {
        status.textContent = "";
        answerEl.append(h("p", { class: "error", role: "alert" }, describeError(exc)));
        if (exc instanceof ApiError && exc.status === 401) document.getElementById("api-key").focus();
      }
    } finally {
      turn.querySelector(".assistant").setAttribute("aria-busy", "false");
      this.busy(false);
      this.controller = null;
    }
  }
}
