// The API key: asked for when the server answers 401, kept in this tab's session storage (gone when the
// tab closes), sent as a bearer header by api.js. Never put in the URL or local storage.
const STORE = "parley.api_key";

export function currentKey() {
  return sessionStorage.getItem(STORE);
}

/** Drops a key the server refused, so that the prompt asks for another. */
export function forgetKey() {
  sessionStorage.removeItem(STORE);
}

let pending = null;

/** Shows the key prompt (once, however many requests are waiting) and resolves when a key is entered. */
export function askForKey(reason) {
  if (pending) return pending;
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  document.getElementById("key-reason").textContent = reason;
  input.value = "";
  pending = new Promise((resolve) => {
    dialog.addEventListener("close", function done() {
      dialog.removeEventListener("close", done);
      const key = input.value.trim();
      if (key) sessionStorage.setItem(STORE, key);
      pending = null;
      resolve(Boolean(key));
    });
  });
  dialog.showModal();
  input.focus();
  return pending;
}
