/** The dashboard's only way to the bridge: its public HTTP API, authorized by the session cookie. */
export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details ?? {};
  }
}

export async function api(method, path, body) {
  // The custom header marks requests as the dashboard's own (CSRF check on the server).
  const headers = { 'x-requested-with': 'voice-bridge-ui', accept: 'application/json' };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (res.status === 401) {
    location.assign('/ui/login');
    throw new ApiError(401, 'signed out');
  }
  const json = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? `${res.status} ${res.statusText}`, json.error);
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const del = (path) => api('DELETE', path);
