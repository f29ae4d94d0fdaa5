// Microphone recording and WAV encoding (the API reads wav, mp3, flac, ogg, m4a, webm).

const TARGET_RATE = 16000;

export function canRecord() {
  return Boolean(
    window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia
      && window.MediaRecorder,
  );
}

function writeString(view, offset, text) {
  for (let i = 0; i < text.length; i += 1) view.setUint8(offset + i, text.charCodeAt(i));
}

/** 16-bit PCM mono WAV bytes from float samples in [-1, 1]. */
export function encodeWav(samples, sampleRate) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  writeString(view, 0, "RIFF");
  view.setUint32(4, 36 + samples.length * 2, true);
  writeString(view, 8, "WAVE");
  writeString(view, 12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  writeString(view, 36, "data");
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i += 1) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buffer], { type: "audio/wav" });
}

/** Any audio the browser can decode → 16 kHz mono WAV (what the speech stage reads best). */
export async function toWav(blob) {
  const Context = window.AudioContext || window.webkitAudioContext;
  const context = new Context();
  try {
    const decoded = await context.decodeAudioData(await blob.arrayBuffer());
    const length = Math.max(1, Math.ceil(decoded.duration * TARGET_RATE));
    const offline = new OfflineAudioContext(1, length, TARGET_RATE);
    const source = offline.createBufferSource();
    source.buffer = decoded;
    source.connect(offline.destination);
    source.start();
    const rendered = await offline.startRendering();
    return encodeWav(rendered.getChannelData(0), TARGET_RATE);
  } finally {
    context.close();
  }
}

/** Records from the microphone until ``stop()``; resolves to a WAV blob (or the raw clip). */
export class Recorder {
  constructor() {
    this.stream = null;
    this.recorder = null;
    this.chunks = [];
    this.startedAt = 0;
  }

  get recording() {
    return Boolean(this.recorder && this.recorder.state === "recording");
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    this.chunks = [];
    this.recorder = new MediaRecorder(this.stream);
    this.recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) this.chunks.push(event.data);
    });
    this.recorder.start();
    this.startedAt = performance.now();
  }

  /** Stop and return ``{blob, format, seconds}``. */
  async stop() {
    const recorder = this.recorder;
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
    recorder.stop();
    await stopped;
    for (const track of this.stream.getTracks()) track.stop();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const raw = new Blob(this.chunks, { type: recorder.mimeType || "audio/webm" });
    this.recorder = null;
    this.stream = null;
    try {
      return { blob: await toWav(raw), format: "wav", seconds };
    } catch {
      return { blob: raw, format: "webm", seconds };
    }
  }
}
