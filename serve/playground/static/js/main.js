// The playground's entry point: tabs, the API key field, the model list.

import { getKey, setKey, listModels } from "./api.js";
import { AskPanel, describeError } from "./ask.js";
import { ComparePanel } from "./compare.js";
import { RecentPanel } from "./recent.js";
import { h, clear } from "./dom.js";

const state = { models: [] };

function setupTabs(onShow) {
  const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
  const select = (tab, focus = true) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    onShow(tab.id);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      let next = null;
      if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
      if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
      if (event.key === "Home") next = tabs[0];
      if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        select(next);
      }
    });
  });
  return (id) => select(document.getElementById(id), false);
}

function setupKey(onChange) {
  const input = document.getElementById("api-key");
  const toggle = document.getElementById("api-key-toggle");
  input.value = getKey();
  input.addEventListener("change", () => {
    setKey(input.value.trim());
    onChange();
  });
  toggle.addEventListener("click", () => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    toggle.textContent = show ? "Hide key" : "Show key";
  });
}

async function loadModels() {
  const status = document.getElementById("server-status");
  const select = document.getElementById("model");
  try {
    const models = await listModels();
    state.models = models.chat;
    const current = select.value;
    clear(select);
    state.models.forEach((id, index) => {
      select.append(h("option", { value: id }, index === 0 ? `${id} (small models first)` : `${id} (LLM alone)`));
    });
    if (state.models.includes(current)) select.value = current;
    status.textContent = `Connected · models: ${models.all.join(", ")}`;
    status.dataset.state = "ok";
  } catch (exc) {
    status.textContent = `Models not listed: ${describeError(exc)}`;
    status.dataset.state = "error";
    if (!select.options.length) select.append(h("option", { value: "interfaze" }, "interfaze"));
  }
}

function main() {
  const recent = new RecentPanel({ root: document.getElementById("panel-recent") });
  const compare = new ComparePanel({
    root: document.getElementById("panel-compare"),
    getModels: () => state.models,
  });
  const show = setupTabs((id) => {
    if (id === "tab-recent") recent.load();
  });
  new AskPanel({
    root: document.getElementById("panel-ask"),
    getModel: () => document.getElementById("model").value || state.models[0] || "interfaze",
    onCompare: (request) => {
      show("tab-compare");
      document.getElementById("compare-results").scrollIntoView({ block: "nearest" });
      return compare.load(request);
    },
  });
  setupKey(() => loadModels());
  loadModels();
  document.body.dataset.ready = "true";
}

main();
