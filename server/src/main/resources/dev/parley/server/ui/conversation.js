// The conversation view: stored messages as the thread holds them, and the answer being streamed.
// User text is shown as text; answers as sanitized markdown (markdown.js), thinking collapsed beside
// them, and per answer the server's usage: tokens, tokens/s and time to first token (measured here, for
// the answers streamed in this tab) and the prompt tokens that came from the KV cache.
import { getJson } from "./api.js";
import { renderInto } from "./markdown.js";

const STATS = "parley.answer_timings";

/** Timings of answers streamed in this tab, by message id (the server's usage has tokens, not times). */
function timings() {
  try {
    return JSON.parse(sessionStorage.getItem(STATS) ?? "{}");
  } catch {
    return {};
  }
}

export function rememberTiming(messageId, timing) {
  if (!messageId) return;
  const all = timings();
  all[messageId] = timing;
  sessionStorage.setItem(STATS, JSON.stringify(all));
}

function statsText(usage, timing) {
  if (!usage) return "";
  const parts = [`${usage.completion_tokens} tokens`];
  if (timing?.tokensPerSecond) parts.push(`${timing.tokensPerSecond.toFixed(1)} tokens/s`);
  if (timing?.ttftMs !== undefined) parts.push(`first token ${Math.round(timing.ttftMs)} ms`);
  parts.push(`${usage.cached_prompt_tokens} of ${usage.prompt_tokens} prompt tokens from cache`);
  if (usage.reasoning_tokens) parts.push(`${usage.reasoning_tokens} thinking`);
  return parts.join(" · ");
}

const fileLabels = new Map();

/** "name (N tokens)" for a file id, asked once per page; the id itself when the file is gone. */
function fileLabel(id) {
  if (!fileLabels.has(id)) {
    fileLabels.set(id, getJson(`/api/v1/files/${encodeURIComponent(id)}`).then((f) => `${f.name} (${f.tokens} tokens)`, () => id));
  }
  return fileLabels.get(id);
}

export class Conversation {
  constructor({ onEdit, onRegenerate }) {
    this.box = document.getElementById("messages");
    this.onEdit = onEdit;
    this.onRegenerate = onRegenerate;
  }

  clear(hint) {
    this.box.replaceChildren();
    if (hint) {
      const p = document.createElement("p");
      p.className = "hint";
      p.textContent = hint;
      this.box.append(p);
    }
  }

  show(thread) {
    this.box.replaceChildren();
    const known = timings();
    const messages = thread.messages ?? [];
    messages.forEach((m, i) => {
      if (m.role === "user") this.box.append(this.userMessage(m, messages, i));
      else if (m.role === "assistant") {
        const view = this.answer(m);
        view.setThinking(m.thinking ?? "");
        view.setContent(m.content ?? "");
        view.renderNow();
        view.setStats(statsText(m.usage, known[m.id]));
        view.addRegenerate(() => this.onRegenerate(m, messages, i));
      }
      // context_overflow "summarize": the model reads the summary instead of the messages up to here
      if (thread.summary && m.id === thread.summary.through_message_id) this.box.append(this.summaryNote(thread.summary));
    });
    if (!messages.length) this.clear("Write a message below to start.");
    this.scroll();
  }

  /** The stored summary that stands in for the messages above it in the model's prompt (shown as text, never rendered). */
  summaryNote(summary) {
    const box = document.createElement("details");
    box.className = "summary-note";
    box.dataset.testid = "summary";
    const title = document.createElement("summary");
    title.textContent = "The messages above reach the model as this summary";
    const text = document.createElement("div");
    text.className = "plain";
    text.textContent = summary.content;
    box.append(title, text);
    return box;
  }

  scroll() {
    this.box.scrollTop = this.box.scrollHeight;
  }

  frame(role, id) {
    const article = document.createElement("article");
    article.className = `message ${role}`;
    article.dataset.testid = "message";
    article.dataset.role = role;
    if (id) article.dataset.messageId = id;
    article.setAttribute("aria-label", role === "user" ? "You said" : "Answer");
    const who = document.createElement("h2");
    who.className = "who";
    who.textContent = role === "user" ? "You" : "Parley";
    article.append(who);
    return article;
  }

  /** A user message: shown as text, with an edit that forks the thread. */
  userMessage(m, messages, index) {
    const article = this.frame("user", m.id);
    const content = document.createElement("div");
    content.className = "content plain";
    content.textContent = m.content;
    article.append(content);
    if (m.files?.length) {
      const files = document.createElement("p");
      files.className = "files";
      files.textContent = `Attached: ${m.files.join(", ")}`;
      article.append(files);
      Promise.all(m.files.map(fileLabel)).then((labels) => (files.textContent = `Attached: ${labels.join(", ")}`));
    }
    if (m.id) {
      const actions = document.createElement("div");
      actions.className = "actions";
      const edit = document.createElement("button");
      edit.type = "button";
      edit.textContent = "Edit";
      edit.setAttribute("aria-label", "Edit this message (makes a fork; this thread stays as it is)");
      edit.addEventListener("click", () => this.edit(article, content, m, messages, index));
      actions.append(edit);
      article.append(actions);
    }
    return article;
  }

  edit(article, content, m, messages, index) {
    const area = document.createElement("textarea");
    area.value = m.content;
    area.rows = Math.min(10, m.content.split("\n").length + 1);
    area.setAttribute("aria-label", "Edited message (Ctrl+Enter forks with it, Escape cancels)");
    const save = document.createElement("button");
    save.type = "button";
    save.dataset.testid = "fork";
    save.textContent = "Fork with this message";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    const bar = document.createElement("div");
    bar.className = "actions";
    bar.append(cancel, save);
    content.hidden = true;
    article.querySelector(".actions").hidden = true;
    article.append(area, bar);
    area.focus();
    const close = () => {
      area.remove();
      bar.remove();
      content.hidden = false;
      article.querySelector(".actions").hidden = false;
    };
    cancel.addEventListener("click", close);
    save.addEventListener("click", () => {
      if (area.value.trim()) this.onEdit(m, area.value, messages, index);
    });
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") close();
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save.click();
    });
  }

  /** Appends a message the user just sent (before the server stored it). */
  appendUser(text, files) {
    if (this.box.querySelector(".hint")) this.box.replaceChildren();
    this.box.append(this.userMessage({ content: text, files }, [], -1));
    this.scroll();
  }

  /** An answer's view, stored or being streamed; returns its setters. */
  answer(m) {
    const article = this.frame("assistant", m?.id);
    const thinking = document.createElement("details");
    thinking.className = "thinking";
    thinking.hidden = true;
    const summary = document.createElement("summary");
    summary.textContent = "Thinking";
    const thinkingText = document.createElement("div");
    thinkingText.className = "plain";
    thinking.append(summary, thinkingText);
    const content = document.createElement("div");
    content.className = "content markdown";
    const stats = document.createElement("p");
    stats.className = "stats";
    const note = document.createElement("p");
    note.className = "note";
    note.hidden = true;
    article.append(thinking, content, note, stats);
    this.box.append(article);
    let frame = 0;
    let text = "";
    const view = {
      article,
      setThinking: (t) => {
        thinking.hidden = !t;
        thinkingText.textContent = t;
      },
      setContent: (t) => {
        text = t;
        // a long answer re-renders once per frame, not once per token
        if (!frame) {
          frame = requestAnimationFrame(() => {
            frame = 0;
            renderInto(content, text);
            this.scroll();
          });
        }
      },
      setStats: (t) => (stats.textContent = t),
      note: (t, kind) => {
        note.hidden = false;
        note.textContent = t;
        note.className = `note ${kind ?? ""}`;
        if (kind === "error") note.setAttribute("role", "alert");
      },
      addRegenerate: (onClick) => {
        const actions = document.createElement("div");
        actions.className = "actions";
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = "Regenerate";
        again.setAttribute("aria-label", "Regenerate this answer (makes a fork; this thread stays as it is)");
        again.addEventListener("click", onClick);
        actions.append(again);
        article.append(actions);
      },
    };
    // stored answers render at once (no frame wait), so the page is complete when it shows
    view.renderNow = () => {
      cancelAnimationFrame(frame);
      frame = 0;
      renderInto(content, text);
    };
    return view;
  }

  /** The answer being streamed, with its usage line once done. */
  streaming() {
    return this.answer(null);
  }

  static stats(usage, timing) {
    return statsText(usage, timing);
  }
}
