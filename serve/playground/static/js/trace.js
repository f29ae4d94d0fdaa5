// The decision trace as the page reads it: tolerant of fields older servers do not record.

import { isNum } from "./format.js";

export const STATUSES = ["ok", "skipped", "timeout", "degraded", "error"];
export const STATUS_LABEL = {
  ok: "ok", skipped: "skipped", timeout: "timed out", degraded: "degraded", error: "error",
};

/** ok | skipped | timeout | degraded | error from a recorded status (or exception name). */
export function normalizeStatus(raw) {
  const value = String(raw ?? "ok").toLowerCase();
  if (value === "ok" || value === "") return "ok";
  if (value.includes("skip")) return "skipped";
  if (value.includes("timeout") || value.includes("timed")) return "timeout";
  if (value.includes("degrad")) return "degraded";
  return "error";
}

/** Stage rows for the waterfall: recorded stages, then planned stages that never ran. */
export function stageRows(trace, meta) {
  const rows = [];
  if (trace && Array.isArray(trace.stages)) {
    trace.stages.forEach((stage, index) => {
      const summary = stage.summary && typeof stage.summary === "object" ? stage.summary : {};
      const source = typeof summary.source === "string" ? summary.source : null;
      rows.push({
        key: `${stage.name}#${index}`,
        name: String(stage.name),
        source,
        label: source ? `${stage.name} · ${source}` : String(stage.name),
        started: isNum(stage.started_ms) ? stage.started_ms : null,
        duration: isNum(stage.duration_ms) ? stage.duration_ms : null,
        status: normalizeStatus(stage.status),
        rawStatus: String(stage.status ?? "ok"),
        summary,
        reason: stage.reason || summary.reason || null,
        error: stage.error || summary.error || null,
        confidence: isNum(stage.confidence) ? stage.confidence
          : isNum(summary.confidence) ? summary.confidence : null,
        recorded: true,
      });
    });
    const skipped = trace.skipped && typeof trace.skipped === "object" ? trace.skipped : {};
    for (const [name, reason] of Object.entries(skipped)) {
      const [stageName, source] = name.split(":");
      if (rows.some((row) => row.name === stageName && (!source || row.source === source))) continue;
      rows.push({
        key: `${name}#skipped`, name: stageName, source: source || null,
        label: source ? `${stageName} · ${source}` : stageName,
        started: null, duration: null, status: "skipped", rawStatus: "skipped",
        summary: {}, reason: String(reason), error: null, confidence: null, recorded: false,
      });
    }
    return rows;
  }
  // No trace: the response's own timings, laid end to end (their real overlap is unknown).
  const timings = (meta && meta.timings_ms) || {};
  let cursor = 0;
  const names = (meta && Array.isArray(meta.route) && meta.route.length)
    ? [...new Set(meta.route)] : Object.keys(timings).filter((n) => n !== "total");
  for (const name of names) {
    const duration = isNum(timings[name]) ? timings[name] : null;
    rows.push({
      key: `${name}#t`, name, source: null, label: name, started: cursor, duration,
      status: "ok", rawStatus: "ok", summary: {}, reason: null, error: null, confidence: null,
      recorded: false, approximate: true,
    });
    cursor += duration || 0;
  }
  return rows;
}

/** The end of the time axis (ms). */
export function totalMs(trace, meta, rows) {
  const ends = rows
    .filter((row) => isNum(row.started) && isNum(row.duration))
    .map((row) => row.started + row.duration);
  const recorded = meta && meta.timings_ms && meta.timings_ms.total;
  return Math.max(1, ...ends, isNum(recorded) ? recorded : 0);
}

/** A 1-2-5 step giving about ``count`` ticks over ``total``. */
export function tickStep(total, count = 4) {
  const raw = total / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

export function citation(observation) {
  return `${observation.source_id || ""} ${observation.locator || ""}`.trim();
}

/** Whether one of the answer's sources points at this observation (or the whole source). */
export function isCited(observation, sources) {
  const cite = citation(observation);
  if (!cite) return false;
  return (sources || []).some((source) => {
    const s = String(source).trim();
    return s === cite || s.startsWith(`${cite} `) || cite.startsWith(`${s} `);
  });
}

/** What the trace records as the answer, else what the response said. */
export function answerOf(trace, meta, text) {
  const recorded = (trace && trace.answer) || {};
  return {
    text: recorded.text ?? text ?? null,
    answerer: recorded.answerer ?? (meta && meta.answerer) ?? null,
    confidence: isNum(recorded.confidence) ? recorded.confidence
      : trace && isNum(trace.confidence) ? trace.confidence
        : meta && isNum(meta.confidence) ? meta.confidence : null,
    sources: recorded.sources ?? (meta && meta.sources) ?? [],
  };
}

/** LLM model and tokens: the trace's ``llm``, else the response's ``interfaze.usage``. */
export function llmOf(trace, meta) {
  const recorded = (trace && trace.llm) || null;
  if (recorded) {
    return {
      model: recorded.model ?? null,
      prompt: isNum(recorded.prompt_tokens) ? recorded.prompt_tokens : null,
      completion: isNum(recorded.completion_tokens) ? recorded.completion_tokens : null,
    };
  }
  const usage = meta && meta.usage;
  return {
    model: null,
    prompt: usage && isNum(usage.llm_prompt_tokens) ? usage.llm_prompt_tokens : null,
    completion: usage && isNum(usage.llm_completion_tokens) ? usage.llm_completion_tokens : null,
  };
}

/** The observations a stage row produced (matched on stage name and, when known, source). */
export function observationsFor(trace, row) {
  if (!trace || !Array.isArray(trace.observations)) return null;
  return trace.observations.filter((obs) => obs.stage === row.name
    && (!row.source || !obs.source_id || obs.source_id === row.source));
}

/**
 * Strings of the answer worth finding in what the stages saw: the whole answer when short,
 * and every token with a digit (amounts, dates, ids) with and without currency and commas.
 */
export function needles(answer) {
  const text = String(answer || "").trim();
  const found = new Set();
  const whole = text.replace(/[.!]+$/, "").trim();
  if (whole && whole.length <= 60) found.add(whole);
  for (const token of text.split(/\s+/)) {
    const clean = token.replace(/^[("'[]+|[)"'\].,;:!?]+$/g, "");
    if (!/\d/.test(clean) || clean.length < 2) continue;
    found.add(clean);
    const bare = clean.replace(/^[$€£]/, "");
    if (bare.length >= 2) found.add(bare);
    if (bare.includes(",")) found.add(bare.replace(/,/g, ""));
  }
  return [...found].filter((n) => n.length >= 2);
}

/** Character ranges of ``needles`` in ``text`` (case-insensitive, merged). */
export function matchRanges(text, list) {
  const lower = String(text || "").toLowerCase();
  const ranges = [];
  for (const needle of list || []) {
    const n = needle.toLowerCase();
    if (!n) continue;
    let at = lower.indexOf(n);
    while (at >= 0) {
      ranges.push([at, at + n.length]);
      at = lower.indexOf(n, at + n.length);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

/** Which view shows an observation's data. */
export function viewKind(observation) {
  const data = observation.data || {};
  if (Array.isArray(data.blocks)) return "ocr";
  if (Array.isArray(data.segments)) return "transcript";
  if ("code" in data || "stdout" in data || "exit_code" in data) return "execution";
  if (Array.isArray(data.table) || observation.kind === "chart") return "chart";
  if (Array.isArray(data.rows)) return "table";
  if (data.url) return "page";
  return "text";
}
