// Files attached to a request: drag-and-drop, the file picker, paste, and microphone clips.

import { h, clear, announce } from "./dom.js";
import { bytes } from "./format.js";
import { canRecord, Recorder, toWav } from "./audio.js";

const AUDIO_FORMATS = ["wav", "mp3", "flac", "ogg", "m4a", "mp4", "webm"];
const AUDIO_MIME_FORMAT = {
  "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3",
  "audio/mp3": "mp3", "audio/flac": "flac", "audio/x-flac": "flac", "audio/ogg": "ogg",
  "audio/mp4": "m4a", "audio/x-m4a": "m4a", "audio/webm": "webm",
};

function extension(name) {
  const match = /\.([a-z0-9]+)$/i.exec(name || "");
  return match ? match[1].toLowerCase() : "";
}

/** pdf | image | audio | null for a File. */
export function kindOf(file) {
  const type = (file.type || "").toLowerCase();
  const ext = extension(file.name);
  if (type === "application/pdf" || ext === "pdf") return "pdf";
  if (type.startsWith("image/") || ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff"].includes(ext)) return "image";
  if (type.startsWith("audio/") || AUDIO_FORMATS.includes(ext)) return "audio";
  return null;
}

function audioFormat(file) {
  return AUDIO_MIME_FORMAT[(file.type || "").toLowerCase()]
    || (AUDIO_FORMATS.includes(extension(file.name)) ? extension(file.name) : null);
}

export function readAsDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("load", () => resolve(reader.result));
    reader.addEventListener("error", () => reject(reader.error));
    reader.readAsDataURL(blob);
  });
}

const PREFIX = { pdf: "doc", image: "img", audio: "audio" };
const LABEL = { pdf: "PDF", image: "Image", audio: "Audio" };

/**
 * The content parts of one user message: files first (in order), then the question.
 * Returns ``{parts, sources}``; ``sources`` maps the citation ids the server will give the
 * files (doc1, img1, audio1 — counted per kind in order, as the router does) to attachments.
 */
export async function buildContent(question, items) {
  const parts = [];
  const sources = {};
  const counters = { pdf: 0, image: 0, audio: 0 };
  for (const item of items) {
    counters[item.kind] += 1;
    sources[`${PREFIX[item.kind]}${counters[item.kind]}`] = item;
    const dataUrl = await readAsDataUrl(item.blob);
    if (item.kind === "pdf") {
      parts.push({ type: "file", file: { filename: item.name, file_data: dataUrl } });
    } else if (item.kind === "image") {
      parts.push({ type: "image_url", image_url: { url: dataUrl } });
    } else {
      const data = dataUrl.slice(dataUrl.indexOf(",") + 1);
      parts.push({ type: "input_audio", input_audio: { data, format: item.format } });
    }
  }
  if (!parts.length) return { parts: question, sources };
  parts.push({ type: "text", text: question });
  return { parts, sources };
}

let nextId = 0;

/** The attachment list of a composer (``items`` are what the next request sends). */
export class AttachmentTray {
  constructor({ list, dropzone, fileInput, recordButton, status, onError }) {
    this.items = [];
    this.list = list;
    this.status = status;
    this.onError = onError || (() => {});
    this.recorder = null;
    this.clips = 0;
    if (fileInput) {
      fileInput.addEventListener("change", () => {
        this.addFiles(fileInput.files);
        fileInput.value = "";
      });
    }
    if (dropzone) this.bindDrop(dropzone);
    if (recordButton) this.bindRecorder(recordButton);
    this.render();
  }

  bindDrop(zone) {
    let depth = 0;
    zone.addEventListener("dragenter", (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes("Files")) return;
      event.preventDefault();
      depth += 1;
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragover", (event) => {
      if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("dragging");
    });
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      depth = 0;
      zone.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files) this.addFiles(event.dataTransfer.files);
    });
    zone.addEventListener("paste", (event) => {
      const files = event.clipboardData ? Array.from(event.clipboardData.files || []) : [];
      if (files.length) {
        event.preventDefault();
        this.addFiles(files);
      }
    });
  }

  bindRecorder(button) {
    if (!canRecord()) {
      button.disabled = true;
      button.title = "Recording needs a secure page (https or localhost) and a microphone";
      button.textContent = "Record (unavailable)";
      return;
    }
    button.addEventListener("click", async () => {
      if (this.recorder && this.recorder.recording) {
        button.disabled = true;
        try {
          const clip = await this.recorder.stop();
          this.clips += 1;
          const name = `recording-${this.clips}.${clip.format}`;
          this.add({ kind: "audio", name, blob: clip.blob, format: clip.format, recorded: clip.seconds });
        } finally {
          button.disabled = false;
          button.setAttribute("aria-pressed", "false");
          button.textContent = "Record";
          button.classList.remove("recording");
        }
        return;
      }
      try {
        this.recorder = this.recorder || new Recorder();
        await this.recorder.start();
        button.setAttribute("aria-pressed", "true");
        button.textContent = "Stop recording";
        button.classList.add("recording");
        announce("Recording from the microphone");
      } catch (exc) {
        this.onError(`The microphone is not available: ${exc.message}`);
      }
    });
  }

  async addFiles(fileList) {
    for (const file of Array.from(fileList || [])) {
      const kind = kindOf(file);
      if (!kind) {
        this.onError(`${file.name}: only PDFs, images and audio can be attached`);
        continue;
      }
      let blob = file;
      let format = kind === "audio" ? audioFormat(file) : null;
      let name = file.name;
      if (kind === "audio" && !format) {
        try {
          blob = await toWav(file);
          format = "wav";
          name = `${file.name}.wav`;
        } catch {
          this.onError(`${file.name}: this audio format cannot be read`);
          continue;
        }
      }
      this.add({ kind, name, blob, format });
    }
  }

  add(item) {
    nextId += 1;
    const entry = { id: `att-${nextId}`, size: item.blob.size, ...item };
    if (entry.kind !== "pdf") entry.url = URL.createObjectURL(entry.blob);
    this.items.push(entry);
    this.render();
    announce(`Attached ${entry.name}`);
  }

  remove(id) {
    const item = this.items.find((entry) => entry.id === id);
    this.items = this.items.filter((entry) => entry.id !== id);
    this.render();
    if (item) announce(`Removed ${item.name}`);
  }

  /** Replace the items with copies of another tray's (object URLs stay valid). */
  setItems(items) {
    this.items = items.map((item) => ({ ...item }));
    this.render();
  }

  render() {
    clear(this.list);
    this.list.hidden = this.items.length === 0;
    for (const item of this.items) {
      const preview = item.kind === "image"
        ? h("img", { src: item.url, alt: "", class: "thumb" })
        : item.kind === "audio"
          ? h("audio", { src: item.url, controls: true, preload: "metadata", "aria-label": `Play ${item.name}` })
          : h("span", { class: "thumb pdf", "aria-hidden": "true" }, "PDF");
      this.list.append(
        h("li", { class: `attachment ${item.kind}`, dataset: { kind: item.kind } },
          preview,
          h("span", { class: "name" }, item.name),
          h("span", { class: "meta" }, `${LABEL[item.kind]} · ${bytes(item.size)}`),
          h("button", {
            type: "button", class: "link", "aria-label": `Remove ${item.name}`,
            onclick: () => this.remove(item.id),
          }, "Remove")),
      );
    }
    if (this.status) {
      this.status.textContent = this.items.length
        ? `${this.items.length} file${this.items.length > 1 ? "s" : ""} attached`
        : "";
    }
  }
}
