/** The bridge's own view of itself: active calls (/readyz) and its Prometheus metrics (/metrics). */
export async function bridgeStatus(url: string): Promise<{ activeCalls: number; metrics: Record<string, number> }> {
  const ready = (await (await fetch(`${url}/readyz`)).json()) as { activeCalls: number };
  const text = await (await fetch(`${url}/metrics`)).text();
  const metrics: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^((?:bridge|nodejs|process)_[a-z0-9_]+)(\{[^}]*\})?\s+([0-9.e+-]+)$/.exec(line);
    if (!m) continue;
    if (m[1]!.startsWith('bridge_agent_connect_seconds')) continue;
    metrics[m[1]! + (m[2] ?? '')] = Number(m[3]);
  }
  return { activeCalls: ready.activeCalls, metrics };
}
