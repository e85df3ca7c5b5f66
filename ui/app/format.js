export function duration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function dateTime(value) {
  if (value == null) return '—';
  const d = new Date(value);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function percent(ratio) {
  return `${Math.round((ratio ?? 0) * 100)}%`;
}

/** Seconds since an ISO time or epoch ms. */
export function since(start, now = Date.now()) {
  const t = typeof start === 'number' ? start : Date.parse(start);
  return (now - t) / 1000;
}
