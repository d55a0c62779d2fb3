// The page's one way to the server: Parley's public APIs with the key as a bearer header. Errors come
// back as ApiError holding the API's own words (the "description" of Parley's error shape).
import { askForKey, currentKey, forgetKey } from "./keys.js";

export class ApiError extends Error {
  constructor(status, description) {
    super(description);
    this.status = status;
  }
}

/** The description out of any of Parley's error bodies (Parley's shape first, then OpenAI's and plain ones). */
export function describe(status, text) {
  try {
    const body = JSON.parse(text);
    const e = body?.Error?.error ?? body?.error;
    if (typeof e === "string") return e;
    if (e?.description) return e.description;
    if (e?.message) return e.message;
  } catch {
    // not JSON: say the status
  }
  return `the server answered ${status}`;
}

function headers(extra) {
  const h = new Headers(extra ?? {});
  const key = currentKey();
  if (key) h.set("Authorization", `Bearer ${key}`);
  return h;
}

/** fetch with the key; on 401 asks for a key (a refused one is forgotten) and tries again, three times at most. */
export async function send(method, path, { json, body, accept, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const h = headers(accept ? { Accept: accept } : {});
    let payload = body;
    if (json !== undefined) {
      h.set("Content-Type", "application/json");
      payload = JSON.stringify(json);
    }
    const res = await fetch(path, { method, headers: h, body: payload, signal });
    if (res.status === 401 && attempt < 3) {
      const reason = describe(401, await res.text());
      if (currentKey()) forgetKey();
      if (await askForKey(reason)) continue;
    }
    if (!res.ok) throw new ApiError(res.status, describe(res.status, await res.text()));
    return res;
  }
}

export async function getJson(path) {
  return (await send("GET", path)).json();
}

export async function postJson(path, json) {
  return (await send("POST", path, { json })).json();
}

export async function patchJson(path, json) {
  return (await send("PATCH", path, { json })).json();
}

export async function del(path) {
  return (await send("DELETE", path)).json();
}

/**
 * Uploads a file to the files API with progress (fetch reports none for uploads, XMLHttpRequest does).
 * Resolves with the file object (its "tokens" is the extracted text's size); rejects with the API's words.
 */
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/files");
    const key = currentKey();
    if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status === 201) resolve(JSON.parse(xhr.responseText));
      else reject(new ApiError(xhr.status, describe(xhr.status, xhr.responseText)));
    };
    xhr.onerror = () => reject(new ApiError(0, "the upload failed: the connection to the server was lost"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/**
 * Reads a server-sent event stream, calling onEvent(name, data) per event. Resolves when the stream ends;
 * an abort (the stop button) rejects with an AbortError.
 */
export async function readEvents(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}
