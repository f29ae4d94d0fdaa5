// Number formatting for the playground (units are always written out).

export const NOT_RECORDED = "not recorded";

export function isNum(value) {
  return typeof value === "number" && Number.isFinite(value);
}

export function ms(value) {
  if (!isNum(value)) return NOT_RECORDED;
  if (value >= 10000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function usd(value) {
  if (!isNum(value)) return NOT_RECORDED;
  if (value === 0) return "$0";
  if (Math.abs(value) < 0.0001) return `$${value.toExponential(2)}`;
  if (Math.abs(value) < 0.01) return `$${value.toFixed(6)}`;
  return `$${value.toFixed(4)}`;
}

export function tokens(value) {
  if (!isNum(value)) return NOT_RECORDED;
  return `${Math.round(value).toLocaleString("en-US")}`;
}

export function pct(value) {
  if (!isNum(value)) return NOT_RECORDED;
  return `${Math.round(value * 100)}%`;
}

export function confidence(value) {
  if (!isNum(value)) return NOT_RECORDED;
  return value.toFixed(2);
}

/** Seconds as m:ss.s (transcript timestamps). */
export function clock(seconds) {
  if (!isNum(seconds)) return "?";
  const s = Math.max(0, seconds);
  const minutes = Math.floor(s / 60);
  const rest = (s - minutes * 60).toFixed(1).padStart(4, "0");
  return `${minutes}:${rest}`;
}

export function bytes(value) {
  if (!isNum(value)) return "";
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MB`;
  if (value >= 1024) return `${Math.round(value / 1024)} kB`;
  return `${value} B`;
}

/** A Unix time (seconds) as a local date-time string. */
export function when(epochSeconds) {
  if (!isNum(epochSeconds)) return NOT_RECORDED;
  const date = new Date(epochSeconds * 1000);
  return date.toLocaleString(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
}
