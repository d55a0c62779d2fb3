// Per-thread settings: the system prompt, the context policy and the model (when several are served) are
// the thread's own fields, so the server runs every turn on the thread's model; temperature and max tokens
// are kept in the thread's metadata under "settings", so they travel with the thread to any client.
import { getJson, patchJson } from "./api.js";

export class Settings {
  constructor({ onError }) {
    this.form = document.getElementById("settings");
    this.button = document.getElementById("settings-button");
    this.system = document.getElementById("set-system");
    this.temperature = document.getElementById("set-temperature");
    this.maxTokens = document.getElementById("set-max-tokens");
    this.model = document.getElementById("set-model");
    this.overflow = document.getElementById("set-overflow");
    this.note = document.getElementById("settings-note");
    this.onError = onError;
    this.thread = null;
    this.button.addEventListener("click", () => this.toggle());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save().catch(onError);
    });
  }

  toggle(open = this.form.hidden) {
    this.form.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) this.system.focus();
  }

  /** The served models; the model choice is shown only when there is one to make. */
  async loadModels() {
    const body = await getJson("/v1/models");
    const ids = body.data.map((m) => m.id);
    this.model.replaceChildren(...ids.map((id) => new Option(id, id)));
    // the server's default model is listed first: what a thread without a model runs on
    this.defaultModel = ids[0] ?? "";
    document.getElementById("model-field").hidden = ids.length < 2;
  }

  /** Whether a model can be chosen: the server serves several. */
  choosesModel() {
    return !document.getElementById("model-field").hidden && this.model.value !== "";
  }

  show(thread) {
    this.thread = thread;
    const s = thread?.metadata?.settings ?? {};
    this.system.value = thread?.system_prompt ?? "";
    this.temperature.value = s.temperature ?? "";
    this.maxTokens.value = s.max_tokens ?? "";
    // a new thread keeps the model chosen last; an older page kept it in metadata.settings
    if (thread) this.model.value = thread.model ?? s.model ?? this.defaultModel ?? "";
    // the thread's own context_overflow field (null: the server's default for threads, truncate)
    this.overflow.value = thread?.context_overflow === "summarize" ? "summarize" : "truncate";
    this.note.textContent = thread ? "" : "Saved with the thread when it is created.";
  }

  values() {
    const settings = {};
    if (this.temperature.value !== "") settings.temperature = Number(this.temperature.value);
    if (this.maxTokens.value !== "") settings.max_tokens = Number(this.maxTokens.value);
    return { system_prompt: this.system.value || null, settings, model: this.choosesModel() ? this.model.value : undefined };
  }

  /** The fields a turn sends (the model is the thread's own: the server runs the turn on it, so it is not sent). */
  generation() {
    const { settings } = this.values();
    const out = {};
    if (settings.temperature !== undefined) out.temperature = settings.temperature;
    if (settings.max_tokens !== undefined) out.max_tokens = settings.max_tokens;
    return out;
  }

  /** What a new thread is created with. */
  creation() {
    const { system_prompt, settings, model } = this.values();
    return { system_prompt, metadata: { settings }, context_overflow: this.overflow.value, ...(model ? { model } : {}) };
  }

  async save() {
    if (!this.thread) {
      this.note.textContent = "Kept for the next new thread.";
      return;
    }
    const { system_prompt, settings, model } = this.values();
    const metadata = { ...(this.thread.metadata ?? {}), settings };
    const updated = await patchJson(`/api/v1/conversations/${encodeURIComponent(this.thread.id)}`, {
      system_prompt: system_prompt ?? "",
      metadata,
      context_overflow: this.overflow.value,
      ...(model ? { model } : {}),
    });
    this.thread = { ...this.thread, ...updated };
    this.note.textContent = "Saved with the thread.";
  }
}
