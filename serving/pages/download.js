// A file from the API as a browser download: fetched with the tab's key (a plain link cannot send it) and handed to
// the browser through a blob: URL. A download is a navigation, which the pages' CSP (fetch directives only) does not
// restrict, so the CSP needs no blob: source.
import { ApiError, KEY_STORAGE } from "./api.js";

export async function download(path, filename) {
  const headers = new Headers();
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  let response;
  try {
    response = await fetch(path, { headers });
  } catch {
    throw new ApiError(0, "the service cannot be reached; check the connection and try again");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, body && typeof body.detail === "string" ? body.detail : response.statusText);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
