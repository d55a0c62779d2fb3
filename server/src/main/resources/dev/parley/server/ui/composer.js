// The composer: Enter sends, Shift+Enter starts a new line; attached files are uploaded at once through
// the files API, with progress, then their extracted size in tokens, or the API's own words for a refusal.
import { upload } from "./api.js";

export class Composer {
  constructor({ onSend, onStop }) {
    this.form = document.getElementById("composer");
    this.input = document.getElementById("composer-input");
    this.sendButton = document.getElementById("send");
    this.stopButton = document.getElementById("stop");
    this.list = document.getElementById("attachments");
    this.fileInput = document.getElementById("file-input");
    this.files = []; // {id, name, tokens} once uploaded, {name, pending: true} before
    this.busy = false;
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit(onSend);
      }
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit(onSend);
    });
    this.stopButton.addEventListener("click", onStop);
    this.fileInput.addEventListener("change", () => {
      for (const f of this.fileInput.files) this.attach(f);
      this.fileInput.value = "";
    });
  }

  submit(onSend) {
    const text = this.input.value;
    if (this.busy || !text.trim()) return;
    if (this.files.some((f) => f.pending)) {
      this.say("Wait for the uploads to finish.");
      return;
    }
    const files = this.files.filter((f) => f.id).map((f) => f.id);
    this.input.value = "";
    this.files = [];
    this.list.replaceChildren();
    onSend(text, files);
  }

  say(text) {
    document.getElementById("status").textContent = text;
  }

  setBusy(busy) {
    this.busy = busy;
    this.sendButton.disabled = busy;
    this.stopButton.hidden = !busy;
    if (busy) this.stopButton.focus();
    else this.input.focus();
  }

  attach(file) {
    const entry = { name: file.name, pending: true };
    this.files.push(entry);
    const li = document.createElement("li");
    li.className = "attachment";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    const progress = document.createElement("progress");
    progress.max = 1;
    progress.value = 0;
    progress.setAttribute("aria-label", `Uploading ${file.name}`);
    const info = document.createElement("span");
    info.className = "info";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "icon";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove ${file.name}`);
    remove.addEventListener("click", () => {
      this.files = this.files.filter((f) => f !== entry);
      li.remove();
    });
    li.append(name, progress, info, remove);
    this.list.append(li);
    upload(file, (fraction) => (progress.value = fraction))
      .then((f) => {
        Object.assign(entry, { id: f.id, tokens: f.tokens, pending: false });
        progress.remove();
        info.textContent = `${f.tokens} tokens`;
        li.dataset.fileId = f.id;
      })
      .catch((e) => {
        this.files = this.files.filter((f) => f !== entry);
        progress.remove();
        li.classList.add("refused");
        info.textContent = e.message;
        info.setAttribute("role", "alert");
      });
  }
}
