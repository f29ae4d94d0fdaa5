// The public API, as the playground calls it (same origin, the user's key as a Bearer token).

// The app's route prefix (Ray Serve's root_path), written into the page by the server.
const ROOT = document.documentElement.dataset.root || "";
const KEY_STORAGE = "ifz-playground-key";
const HISTORY_STORAGE = "ifz-playground-history";
const HISTORY_LIMIT = 100;

export class ApiError extends Error {
  constructor(message, { status = 0, code = null, type = null, param = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.type = type;
    this.param = param;
  }

  describe() {
    const where = this.status ? `HTTP ${this.status}` : "network";
    const code = this.code ? ` (${this.code})` : "";
    return `${where}${code}: ${this.message}`;
  }
}

export function getKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function setKey(value) {
  try {
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* storage disabled: the key lives in the field only */
  }
}

function headers(extra = {}) {
  const result = { ...extra };
  const key = getKey();
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

/** An ApiError from a non-2xx response (OpenAI error shape when the server sent one). */
async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  const error = body && body.error ? body.error : {};
  const message = error.message || response.statusText || "request failed";
  return new ApiError(message, {
    status: response.status, code: error.code, type: error.type, param: error.param,
  });
}

async function send(path, { method = "GET", json, body, contentType, signal } = {}) {
  const init = { method, signal, headers: headers() };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
    if (contentType) init.headers["Content-Type"] = contentType;
  }
  let response;
  try {
    response = await fetch(ROOT + path, init);
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(`the server did not answer (${exc.message})`);
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJSON(path, options) {
  const response = await send(path, options);
  return response.json();
}

/**
 * The chat models: ``{all, chat}``. The first card is the small-models-first pipeline, the next
 * chat card the LLM alone; embedding models (also listed by the server) are left out of chat.
 */
export async function listModels() {
  const body = await getJSON("/v1/models");
  const cards = body.data || [];
  const chat = cards.filter((card, index) => index === 0
    || !/embedding/i.test(`${card.id} ${card.description || ""}`));
  return { all: cards.map((card) => card.id), chat: chat.map((card) => card.id) };
}

const sleep = (ms) => new Promise((resolve) => { window.setTimeout(resolve, ms); });

/**
 * The decision trace of a request. Traces reach the shared store in batches, so a 404 right
 * after the answer is retried a few times before it counts.
 */
export async function getTrace(traceId, { retries = 5 } = {}) {
  let delay = 150;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await getJSON(`/v1/traces/${encodeURIComponent(traceId)}`);
    } catch (exc) {
      if (!(exc instanceof ApiError) || exc.status !== 404 || attempt >= retries) throw exc;
      await sleep(delay);
      delay *= 2;
    }
  }
}

/**
 * Recent traces of this key, newest first: ``{supported, data}``. ``supported`` is false when
 * the server has no list endpoint (then the caller falls back to this browser's history).
 */
export async function listTraces(filters = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  try {
    const body = await getJSON(`/v1/traces?${params}`);
    return { supported: true, data: Array.isArray(body.data) ? body.data : [] };
  } catch (exc) {
    if (exc instanceof ApiError && [404, 405].includes(exc.status)) {
      return { supported: false, data: [] };
    }
    throw exc;
  }
}

/**
 * POST a streaming chat completion and read its server-sent events.
 * Calls ``onDelta(text)`` per piece; resolves to the whole result with client-side timings.
 */
export async function streamChat(body, { signal, onDelta = () => {} } = {}) {
  const started = performance.now();
  const response = await send("/v1/chat/completions", {
    method: "POST",
    json: { ...body, stream: true, stream_options: { include_usage: true } },
    signal,
  });
  const result = {
    id: null, text: "", meta: null, usage: null, finishReason: null,
    firstTokenMs: null, totalMs: null, requestId: response.headers.get("x-request-id"),
  };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let done = false;
  const handle = (event) => {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (!data) return;
    if (data === "[DONE]") {
      done = true;
      return;
    }
    const chunk = JSON.parse(data);
    if (chunk.error) {
      const e = chunk.error;
      throw new ApiError(e.message || "stream failed", {
        status: e.status || 0, code: e.code, type: e.type, param: e.param,
      });
    }
    result.id = result.id || chunk.id;
    const choice = (chunk.choices || [])[0];
    if (choice && choice.delta && choice.delta.content) {
      if (result.firstTokenMs === null) result.firstTokenMs = performance.now() - started;
      result.text += choice.delta.content;
      onDelta(choice.delta.content, result.text);
    }
    if (choice && choice.finish_reason) result.finishReason = choice.finish_reason;
    if (chunk.usage) result.usage = chunk.usage;
    if (chunk.interfaze) result.meta = chunk.interfaze;
  };
  while (!done) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.search(/\r?\n\r?\n/);
    while (boundary >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, "");
      handle(event);
      boundary = buffer.search(/\r?\n\r?\n/);
    }
  }
  if (buffer.trim()) handle(buffer);
  result.totalMs = performance.now() - started;
  if (!result.meta && result.requestId) result.traceId = result.requestId;
  return result;
}

/** Render one PDF page as a PNG (object URL) for the OCR box overlay. */
export async function renderPdfPage(blob, page, width = 1000) {
  const response = await send(`/playground/pdf/page?page=${page}&width=${width}`, {
    method: "POST", body: blob, contentType: "application/pdf",
  });
  const pages = Number(response.headers.get("x-page-count")) || null;
  return { url: URL.createObjectURL(await response.blob()), pages };
}

// ------------------------------------------------------------------ this browser's history

async function historyBucket() {
  const key = getKey();
  if (!key) return `${HISTORY_STORAGE}:anonymous`;
  if (!(window.crypto && window.crypto.subtle)) return null; // no way to separate keys safely
  const digest = await window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  const hex = Array.from(new Uint8Array(digest).slice(0, 8))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${HISTORY_STORAGE}:${hex}`;
}

/** Requests this browser sent with the current key (the fallback for "Recent requests"). */
export async function readHistory() {
  try {
    const bucket = await historyBucket();
    return bucket ? JSON.parse(localStorage.getItem(bucket) || "[]") : [];
  } catch {
    return [];
  }
}

export async function remember(entry) {
  try {
    const bucket = await historyBucket();
    if (!bucket || !entry.trace_id) return;
    const items = (await readHistory()).filter((item) => item.trace_id !== entry.trace_id);
    items.unshift(entry);
    localStorage.setItem(bucket, JSON.stringify(items.slice(0, HISTORY_LIMIT)));
  } catch {
    /* storage full or disabled: "Recent requests" then relies on the server's list */
  }
}
