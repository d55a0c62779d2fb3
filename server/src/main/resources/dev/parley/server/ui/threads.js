// The thread list: the key's own threads, newest first, a page at a time; renamed in place, deleted
// after a confirmation, searched with the API's ?q= (title and message text).
import { del, getJson, patchJson } from "./api.js";

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(text, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

export class ThreadList {
  constructor({ onOpen, onDeleted, onError }) {
    this.ul = document.getElementById("thread-list");
    this.more = document.getElementById("more-threads");
    this.onOpen = onOpen;
    this.onDeleted = onDeleted;
    this.onError = onError;
    this.cursor = null;
    this.query = "";
    this.current = null;
    this.more.addEventListener("click", () => this.page().catch(onError));
    const search = document.getElementById("search");
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.search(search.value.trim()), 250);
    });
    document.getElementById("search-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.search(search.value.trim());
    });
  }

  search(query) {
    this.query = query;
    this.reload().catch(this.onError);
  }

  async reload() {
    this.cursor = null;
    const first = await this.fetchPage();
    this.ul.replaceChildren();
    this.show(first);
  }

  async page() {
    this.show(await this.fetchPage());
  }

  async fetchPage() {
    const params = new URLSearchParams({ limit: "20" });
    if (this.query) params.set("q", this.query);
    if (this.cursor) params.set("cursor", this.cursor);
    return getJson(`/api/v1/conversations?${params}`);
  }

  show(body) {
    for (const t of body.data) this.ul.append(this.item(t));
    this.cursor = body.next_cursor;
    this.more.hidden = !this.cursor;
    if (!this.ul.children.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = this.query ? "No thread matches." : "No threads yet.";
      this.ul.append(li);
    }
    this.markCurrent(this.current);
  }

  markCurrent(id) {
    this.current = id;
    for (const li of this.ul.querySelectorAll("li[data-thread-id]")) {
      const open = li.querySelector(".open");
      if (li.dataset.threadId === id) open.setAttribute("aria-current", "page");
      else open.removeAttribute("aria-current");
    }
  }

  item(t) {
    const li = document.createElement("li");
    li.dataset.threadId = t.id;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open";
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = t.title || "Untitled";
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${t.message_count} messages · ${new Date(t.updated_at).toLocaleString()}`;
    open.append(title, meta);
    if (t.parent_id) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.testid = "fork";
      badge.textContent = "fork";
      badge.title = `forked from ${t.parent_id}`;
      open.prepend(badge);
    }
    open.addEventListener("click", () => this.onOpen(t.id));
    const rename = document.createElement("button");
    rename.type = "button";
    rename.className = "icon";
    rename.textContent = "✎";
    rename.setAttribute("aria-label", `Rename thread ${t.title || "Untitled"}`);
    rename.addEventListener("click", () => this.rename(li, t, title));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "icon";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", `Delete thread ${t.title || "Untitled"}`);
    remove.addEventListener("click", () => this.remove(li, t));
    li.append(open, rename, remove);
    return li;
  }

  rename(li, t, titleSpan) {
    const input = document.createElement("input");
    input.type = "text";
    input.value = t.title || "";
    input.maxLength = 512;
    input.className = "rename";
    input.setAttribute("aria-label", "New title (Enter saves, Escape cancels)");
    const open = li.querySelector(".open");
    open.hidden = true;
    li.prepend(input);
    input.focus();
    input.select();
    let finished = false;
    const finish = async (save) => {
      if (finished) return;
      finished = true;
      input.remove();
      open.hidden = false;
      if (!save || input.value.trim() === (t.title || "")) return;
      try {
        const updated = await patchJson(`/api/v1/conversations/${encodeURIComponent(t.id)}`, { title: input.value.trim() });
        t.title = updated.title;
        titleSpan.textContent = updated.title || "Untitled";
        this.onRenamed?.(updated);
      } catch (e) {
        this.onError(e);
      }
      open.focus();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        finish(true);
      } else if (e.key === "Escape") {
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true));
  }

  async remove(li, t) {
    if (!(await confirmAction(`Delete the thread "${t.title || "Untitled"}" and all its messages? This cannot be undone.`, "Delete"))) return;
    try {
      await del(`/api/v1/conversations/${encodeURIComponent(t.id)}`);
      li.remove();
      this.onDeleted(t.id);
    } catch (e) {
      this.onError(e);
    }
  }
}
