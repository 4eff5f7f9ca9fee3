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

/**
 * A page's calls with its key panel (#key-panel, #key-why, #key-form, #api-key): the returned function calls the API
 * and, on 401 or 403, asks for a key with `role`; a key entered is kept for the tab and `retry` runs again.
 * `may` and `needs` finish the panel's sentences ("may not work the queue", "to show the queue").
 */
export function withKey({ role, may, needs, retry }) {
  const $ = (id) => document.getElementById(id);
  function askForKey(error) {
    const had = sessionStorage.getItem(KEY_STORAGE);
    if (error.status === 401) sessionStorage.removeItem(KEY_STORAGE);
    $("key-why").textContent =
      error.status === 403
        ? `The key in use may not ${may}: ${error.message}`
        : had
          ? `The key was not accepted: ${error.message}`
          : `This service needs an API key with role ${role} to ${needs}.`;
    $("key-panel").hidden = false;
    $("api-key").focus();
  }
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $("api-key").value = "";
    $("key-panel").hidden = true;
    retry();
  });
  return async function call(path, options) {
    try {
      return await api(path, options);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) askForKey(error);
      throw error;
    }
  };
}
