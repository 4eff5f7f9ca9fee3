// The service's HTTP API as the pages use it: the user's key, errors as ApiError, their explanation.

export const KEY_STORAGE = "leadscore.apiKey";

export class ApiError extends Error {
  constructor(status, detail, retryAfter) {
    super(detail);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID(); // secure contexts only (https, localhost)
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch {
    throw new ApiError(0, "the service cannot be reached; check the connection and try again");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok) return body;
  const detail = body && body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : response.statusText;
  throw new ApiError(response.status, detail, response.headers.get("Retry-After"));
}

const article = (word) => (/^[aeiou]/.test(word) ? "an" : "a");

export function explain(error, what, writing, role = "sales") {
  switch (error.status) {
    case 401:
      return `${what}: an API key is needed (${error.message}). Enter ${article(role)} ${role} key above.`;
    case 403:
      return `${what}: this key may not do that (${error.message}). Enter ${article(role)} ${role} key above.`;
    case 409:
      return `${what}: not recorded, the lead changed meanwhile (${error.message}).`;
    case 503: {
      const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : " Try again shortly.";
      const nothing = writing ? ", nothing was recorded" : "";
      return `${what}: the lead store is unavailable${nothing} (${error.message}).${wait}`;
    }
    case 0:
      return `${what}: ${error.message}.`;
    default:
      return `${what}: ${error.status} ${error.message}.`;
  }
}
