// What a stage saw and produced: summaries, and observations drawn by kind (OCR boxes over the
// page image, tables, chart values, transcripts, web pages, programs and their output).

import { h } from "./dom.js";
import * as fmt from "./format.js";
import { STATUS_LABEL, citation, isCited, needles, matchRanges, viewKind } from "./trace.js";
import { renderPdfPage } from "./api.js";

/** Text with the answer's strings wrapped in <mark>. */
export function marked(text, list) {
  const value = String(text ?? "");
  const ranges = matchRanges(value, list);
  if (!ranges.length) return [value];
  const out = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) out.push(value.slice(at, start));
    out.push(h("mark", {}, value.slice(start, end)));
    at = end;
  }
  if (at < value.length) out.push(value.slice(at));
  return out;
}

function short(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value.length > 300 ? `${value.slice(0, 300)}…` : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const json = JSON.stringify(value);
  return json.length > 300 ? `${json.slice(0, 300)}…` : json;
}

function summaryList(summary) {
  const entries = Object.entries(summary || {});
  if (!entries.length) return h("p", { class: "note" }, "Summary: not recorded.");
  return h("dl", { class: "kv" }, entries.map(([key, value]) => [
    h("dt", {}, key), h("dd", {}, short(value)),
  ]));
}

function rawData(data) {
  if (!data || !Object.keys(data).length) return null;
  return h("details", { class: "raw" }, h("summary", {}, "Raw data"),
    h("pre", {}, JSON.stringify(data, null, 2)));
}

// ------------------------------------------------------------------------------ views

function pageImage(observation, context) {
  const attachment = context.sources && context.sources[observation.source_id];
  const data = observation.data || {};
  if (!attachment) return Promise.resolve(null);
  if (attachment.kind === "image") return Promise.resolve(attachment.url);
  if (attachment.kind === "pdf") {
    const page = Number(data.page) || 1;
    attachment.pages = attachment.pages || {};
    if (!attachment.pages[page]) {
      attachment.pages[page] = renderPdfPage(attachment.blob, page).then((r) => r.url);
    }
    return attachment.pages[page];
  }
  return Promise.resolve(null);
}

function ocrView(observation, context, hits) {
  const data = observation.data || {};
  const blocks = data.blocks || [];
  const page = h("div", { class: "page" });
  const figure = h("figure", { class: "ocr-figure" }, page);
  const list = h("ol", { class: "ocr-lines", "aria-label": "Recognised text blocks" });
  const boxes = [];
  // Boxes are placed in percent of the page, so they follow the image at any size.
  const place = (width, height) => {
    if (!(width > 0 && height > 0)) return false;
    blocks.forEach((block, index) => {
      const [x0, y0, x1, y1] = Array.isArray(block.bbox) ? block.bbox : [0, 0, 0, 0];
      const box = h("span", {
        class: `box${matchRanges(block.text, hits).length ? " hit" : ""}`,
        title: block.text || "",
        style: {
          left: `${(x0 / width) * 100}%`, top: `${(y0 / height) * 100}%`,
          width: `${(Math.max(x1 - x0, 0) / width) * 100}%`,
          height: `${(Math.max(y1 - y0, 0) / height) * 100}%`,
        },
        dataset: { index: String(index) },
      });
      boxes[index] = box;
      page.append(box);
    });
    return true;
  };
  blocks.forEach((block, index) => {
    const hit = matchRanges(block.text, hits).length > 0;
    const item = h("li", { class: hit ? "hit" : null, tabindex: "0", dataset: { index: String(index) } },
      marked(block.text, hits));
    const on = () => boxes[index] && boxes[index].classList.add("active");
    const off = () => boxes[index] && boxes[index].classList.remove("active");
    item.addEventListener("mouseenter", on);
    item.addEventListener("mouseleave", off);
    item.addEventListener("focus", on);
    item.addEventListener("blur", off);
    list.append(item);
  });
  const caption = h("figcaption", {}, `Page ${data.page ?? "?"}: ${blocks.length} text blocks`);
  figure.append(caption);
  const width = Number(data.width);
  const height = Number(data.height);
  let placed = place(width, height);
  const blank = (why) => {
    page.classList.add("blank");
    if (placed) page.style.setProperty("aspect-ratio", `${width} / ${height}`);
    caption.append(` (${why}: boxes on a blank page of the recorded size)`);
    if (!placed) caption.append(" — the page size is not recorded, so boxes cannot be placed");
  };
  pageImage(observation, context).then((url) => {
    if (!url) {
      blank("the page image is not available here");
      return;
    }
    const img = h("img", {
      src: url, alt: `Page ${data.page ?? ""} of ${observation.source_id}`, class: "page-image",
    });
    img.addEventListener("load", () => {
      if (!placed) placed = place(img.naturalWidth, img.naturalHeight);
    });
    page.prepend(img);
  }).catch((exc) => blank(`the page image failed: ${exc.message}`));
  if (!blocks.length && observation.text) {
    return h("div", {}, h("pre", { class: "text" }, marked(observation.text, hits)));
  }
  return h("div", { class: "ocr" }, figure, list);
}

function rowsTable(rows, hits, caption) {
  if (!Array.isArray(rows) || !rows.length) return h("p", { class: "note" }, "No rows recorded.");
  const [head, ...body] = rows;
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || "Table" },
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, (head || []).map((cell) => h("th", { scope: "col" }, marked(cell, hits))))),
      h("tbody", {}, body.map((row) => h("tr", {}, (row || []).map((cell) => {
        const hit = matchRanges(cell, hits).length > 0;
        return h("td", { class: hit ? "hit" : null }, marked(cell, hits));
      }))))));
}

function chartView(observation, hits) {
  const data = observation.data || {};
  const axisInfo = data.y_axis ? `${data.y_axis.label || "value"} ${data.y_axis.min ?? ""}…${data.y_axis.max ?? ""} ${data.y_axis.unit || ""}` : null;
  return h("div", { class: "chart" },
    h("p", {}, h("strong", {}, "Title: "), data.title || fmt.NOT_RECORDED),
    axisInfo ? h("p", {}, h("strong", {}, "Value axis: "), axisInfo) : null,
    data.chart_type || data.type ? h("p", {}, h("strong", {}, "Type: "), data.chart_type || data.type) : null,
    rowsTable(data.table, hits, "Values read from the chart"));
}

function transcriptView(observation, context, hits) {
  const data = observation.data || {};
  const attachment = context.sources && context.sources[observation.source_id];
  const player = attachment && attachment.kind === "audio"
    ? h("audio", { src: attachment.url, controls: true, preload: "metadata", "aria-label": `Recording ${observation.source_id}` })
    : null;
  const segments = data.segments || [];
  return h("div", { class: "transcript" },
    player,
    h("ol", { class: "segments", "aria-label": "Transcript segments" }, segments.map((segment) => {
      const hit = matchRanges(segment.text, hits).length > 0;
      const stamp = `${fmt.clock(segment.start)}–${fmt.clock(segment.end)}`;
      return h("li", { class: hit ? "hit" : null },
        player
          ? h("button", {
            type: "button", class: "stamp", "aria-label": `Play from ${stamp}`,
            onclick: () => { player.currentTime = Number(segment.start) || 0; player.play(); },
          }, stamp)
          : h("span", { class: "stamp" }, stamp),
        h("span", { class: "segment-text" }, marked(segment.text, hits)));
    })),
    !segments.length && observation.text ? h("pre", { class: "text" }, marked(observation.text, hits)) : null);
}

function executionView(observation, hits) {
  const data = observation.data || {};
  const exit = data.exit_code;
  return h("div", { class: "execution" },
    h("h5", {}, "Program"), h("pre", { class: "code" }, data.code ?? fmt.NOT_RECORDED),
    h("h5", {}, "Output (stdout)"), h("pre", { class: "stdout" }, marked(data.stdout ?? "", hits)),
    data.stderr ? [h("h5", {}, "Errors (stderr)"), h("pre", { class: "stderr" }, data.stderr)] : null,
    h("p", {}, h("strong", {}, "Exit code: "), exit === undefined || exit === null ? fmt.NOT_RECORDED : String(exit)));
}

function pageView(observation, hits) {
  const data = observation.data || {};
  return h("div", { class: "webpage" },
    h("p", {}, h("strong", {}, "URL: "), h("code", {}, data.url)),
    h("p", {}, h("strong", {}, "Title: "), data.title || fmt.NOT_RECORDED),
    h("pre", { class: "text" }, marked(observation.text, hits)));
}

function observationCard(observation, context, sources, hits) {
  const cited = isCited(observation, sources);
  const kind = viewKind(observation);
  let body;
  if (kind === "ocr") body = ocrView(observation, context, cited ? hits : []);
  else if (kind === "table") body = rowsTable((observation.data || {}).rows, cited ? hits : [], "Table");
  else if (kind === "chart") body = chartView(observation, cited ? hits : []);
  else if (kind === "transcript") body = transcriptView(observation, context, cited ? hits : []);
  else if (kind === "execution") body = executionView(observation, cited ? hits : []);
  else if (kind === "page") body = pageView(observation, cited ? hits : []);
  else body = h("pre", { class: "text" }, marked(observation.text, cited ? hits : []));
  return h("article", { class: `observation${cited ? " cited" : ""}`, dataset: { view: kind } },
    h("h4", {},
      cited ? h("span", { class: "cited-badge" }, "★ cited by the answer") : null,
      h("span", {}, citation(observation) || "(no source)"),
      h("span", { class: "obs-meta" },
        ` · ${observation.kind || kind} via ${observation.stage || "?"} · confidence ${fmt.confidence(observation.confidence)}`)),
    body,
    rawData(kind === "text" ? observation.data : null));
}

// ------------------------------------------------------------------------ stage panels

function planPanel(trace) {
  if (!trace) return null;
  const skipped = Object.entries(trace.skipped || {});
  return h("div", {},
    h("p", {}, h("strong", {}, "Input route: "), trace.route || fmt.NOT_RECORDED),
    h("p", {}, h("strong", {}, "Planned stages: "),
      Array.isArray(trace.plan) && trace.plan.length ? trace.plan.join(" → ") : fmt.NOT_RECORDED),
    skipped.length
      ? h("ul", { class: "skipped" }, skipped.map(([stage, reason]) => h("li", {}, `${stage}: skipped — ${reason}`)))
      : null);
}

function llmPanel(trace, meta) {
  const llm = (trace && trace.llm) || null;
  const usage = (meta && meta.usage) || {};
  return h("dl", { class: "kv" },
    h("dt", {}, "Model"), h("dd", {}, (llm && llm.model) || fmt.NOT_RECORDED),
    h("dt", {}, "Prompt tokens"), h("dd", {}, fmt.tokens(llm ? llm.prompt_tokens : usage.llm_prompt_tokens)),
    h("dt", {}, "Completion tokens"), h("dd", {}, fmt.tokens(llm ? llm.completion_tokens : usage.llm_completion_tokens)),
    h("dt", {}, "Why escalated"), h("dd", {}, (trace && trace.escalation_reason) || fmt.NOT_RECORDED),
    h("dt", {}, "Estimated cost (request)"), h("dd", {}, fmt.usd(trace && trace.cost_usd)));
}

function answerPanel(answer, hits) {
  return h("div", { class: "answer-record" },
    h("p", {}, h("strong", {}, "Answerer: "), answer.answerer || fmt.NOT_RECORDED,
      " · ", h("strong", {}, "confidence: "), fmt.confidence(answer.confidence)),
    h("p", {}, h("strong", {}, "Sources: "),
      answer.sources && answer.sources.length ? answer.sources.join(", ") : fmt.NOT_RECORDED),
    answer.text ? h("blockquote", {}, marked(answer.text, hits)) : null);
}

/** The panel shown when a stage bar is opened. */
export function renderStageDetail(row, ctx) {
  const { trace, meta, answer, observations } = ctx;
  const hits = needles(answer.text);
  const parts = [
    h("h4", { class: "detail-title" }, `Stage ${row.label}`),
    h("p", { class: "detail-status" },
      h("span", { class: `badge s-${row.status}` }, STATUS_LABEL[row.status]),
      row.rawStatus && row.rawStatus.toLowerCase() !== row.status ? ` (${row.rawStatus})` : "",
      row.error && row.error !== row.rawStatus ? ` (${row.error})` : "",
      row.reason ? ` — ${row.reason}` : "",
      ` · started at ${fmt.ms(row.started)} · took ${fmt.ms(row.duration)}`,
      fmt.isNum(row.confidence) ? ` · confidence ${fmt.confidence(row.confidence)}` : ""),
  ];
  if (row.approximate) {
    parts.push(h("p", { class: "note" }, "From the response's timings only; the trace was not available."));
  }
  if (row.name === "plan") parts.push(planPanel(trace));
  if (row.name === "llm" || row.name.startsWith("llm_")) parts.push(llmPanel(trace, meta));
  if (row.name === "answer") parts.push(answerPanel(answer, hits));
  parts.push(h("h5", {}, "Input and output summary"), summaryList(row.summary));
  const produces = !["plan", "answer", "context", "llm", "llm_retry"].includes(row.name);
  if (observations === null) {
    if (produces) {
      parts.push(h("p", { class: "note missing" }, "What this stage saw and produced: not recorded."));
    }
  } else if (observations.length) {
    parts.push(h("h5", {}, "What it saw and produced"),
      observations.map((o) => observationCard(o, ctx, answer.sources, hits)));
  } else if (produces) {
    parts.push(h("p", { class: "note" }, "This stage produced no observations."));
  }
  return h("div", {}, parts);
}
