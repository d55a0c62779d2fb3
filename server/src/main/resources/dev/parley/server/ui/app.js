// The chat page: wires the thread list, the conversation, the composer and the settings to Parley's
// threads and files APIs. The open thread is in the URL's fragment (#/t/ID), so a reload comes back to it.
import { ApiError, getJson, postJson, readEvents, send } from "./api.js";
import { Composer } from "./composer.js";
import { Conversation, rememberTiming } from "./conversation.js";
import { Settings } from "./settings.js";
import { ThreadList } from "./threads.js";

const state = { thread: null, controller: null };
const status = document.getElementById("status");

function report(e) {
  const text = e instanceof ApiError ? e.message : `Something went wrong: ${e.message}`;
  status.textContent = text;
  status.classList.add("error");
  setTimeout(() => {
    if (status.textContent === text) {
      status.textContent = "";
      status.classList.remove("error");
    }
  }, 8000);
}

const threads = new ThreadList({
  onOpen: (id) => openThread(id).catch(report),
  onDeleted: (id) => {
    if (state.thread?.id === id) newThread();
  },
  onError: report,
});
threads.onRenamed = (t) => {
  if (state.thread?.id === t.id) {
    state.thread.title = t.title;
    showTitle();
  }
};
const settings = new Settings({ onError: report });
const conversation = new Conversation({
  onEdit: (m, text) => fork(m, text).catch(report),
  onRegenerate: (m, messages, i) => {
    const user = messages.slice(0, i).findLast((x) => x.role === "user");
    if (user) fork(user, user.content).catch(report);
  },
});
const composer = new Composer({ onSend: (text, files) => sendTurn(text, files).catch(report), onStop: () => state.controller?.abort() });

function threadPath(id, rest = "") {
  return `/api/v1/conversations/${encodeURIComponent(id)}${rest}`;
}

function hashOf(id) {
  return `#/t/${encodeURIComponent(id)}`;
}

function showTitle() {
  const t = state.thread;
  document.getElementById("thread-title").textContent = t ? t.title || "Untitled" : "New thread";
  document.title = t ? `${t.title || "Untitled"} · Parley` : "Parley";
  const origin = document.getElementById("fork-origin");
  origin.hidden = !t?.parent_id;
  if (t?.parent_id) origin.textContent = "Forked: open the original";
}

document.getElementById("fork-origin").addEventListener("click", () => {
  if (state.thread?.parent_id) openThread(state.thread.parent_id).catch(report);
});

function newThread() {
  state.thread = null;
  if (location.hash) history.pushState(null, "", location.pathname);
  threads.markCurrent(null);
  settings.show(null);
  showTitle();
  conversation.clear("Write a message below to start.");
  closeSidebar();
  composer.input.focus();
}

async function openThread(id) {
  const thread = await getJson(threadPath(id));
  state.thread = thread;
  if (location.hash !== hashOf(id)) history.pushState(null, "", hashOf(id));
  threads.markCurrent(id);
  settings.show(thread);
  showTitle();
  conversation.show(thread);
  closeSidebar();
}

async function ensureThread(firstText) {
  if (state.thread) return state.thread;
  const title = firstText.trim().replace(/\s+/g, " ").slice(0, 80);
  const thread = await postJson("/api/v1/conversations", { title, ...settings.creation() });
  state.thread = { ...thread, messages: [] };
  history.pushState(null, "", hashOf(thread.id));
  settings.show(state.thread);
  showTitle();
  await threads.reload();
  threads.markCurrent(thread.id);
  return state.thread;
}

/** One turn: the user's message, the answer streamed as server-sent events, stoppable. */
async function sendTurn(text, files) {
  const thread = await ensureThread(text);
  conversation.appendUser(text, files);
  await stream(thread, { prompt: text, files });
}

async function stream(thread, body) {
  const view = conversation.streaming();
  // screen readers hear the answer once it is complete, not every re-render of it
  view.article.setAttribute("aria-busy", "true");
  const controller = new AbortController();
  state.controller = controller;
  composer.setBusy(true);
  const started = performance.now();
  let first = null;
  let content = "";
  let thinking = "";
  let finished = false;
  try {
    const res = await send("POST", threadPath(thread.id, "/messages"), {
      json: { ...body, ...settings.generation(), stream: true },
      accept: "text/event-stream",
      signal: controller.signal,
    });
    await readEvents(res, (name, data) => {
      if ((name === "content" || name === "thinking") && first === null) first = performance.now();
      if (name === "content") view.setContent((content += data.text));
      else if (name === "thinking") view.setThinking((thinking += data.text));
      else if (name === "done") {
        finished = true;
        const end = performance.now();
        const seconds = first === null ? 0 : (end - first) / 1000;
        const timing = { ttftMs: first === null ? undefined : first - started };
        if (seconds > 0 && data.usage.completion_tokens > 1) timing.tokensPerSecond = (data.usage.completion_tokens - 1) / seconds;
        rememberTiming(data.message_id, timing);
        view.setStats(Conversation.stats(data.usage, timing));
        if (data.usage.truncated_messages) view.note(`${data.usage.truncated_messages} older messages did not fit the context and were left out of the prompt.`);
      } else if (name === "error") {
        finished = true;
        view.note(data.description, "error");
      }
    });
    if (!finished) view.note("The answer ended early: the connection closed.", "error");
  } catch (e) {
    if (e.name === "AbortError") view.note("Stopped. A stopped answer is not saved: the thread is as it was before this message.", "stopped");
    else view.note(e.message, "error");
  } finally {
    view.article.removeAttribute("aria-busy");
    state.controller = null;
    composer.setBusy(false);
  }
  if (finished) {
    // the stored messages (with their ids, for edit and regenerate) replace the live view
    await openThread(thread.id);
  }
  await threads.reload();
}

/**
 * Edit or regenerate: a fork of the thread made at the user message (its text replaced by the edit),
 * then a turn without a new prompt, which answers that message. The fork's history is the original's
 * up to there, so the parent's KV cache serves its prompt. The original thread stays as it was,
 * reachable from the fork's header and the list.
 */
async function fork(m, text) {
  const body = { at_message_id: m.id };
  if (text !== m.content) body.content = text;
  const forked = await postJson(threadPath(state.thread.id, "/fork"), body);
  await openThread(forked.id);
  await threads.reload();
  await stream(state.thread, {});
}

// ---- layout: the thread list as a drawer on narrow screens ----

const sidebar = document.getElementById("sidebar");
const openButton = document.getElementById("open-sidebar");
function closeSidebar() {
  sidebar.classList.remove("open");
  openButton.setAttribute("aria-expanded", "false");
}
openButton.addEventListener("click", () => {
  sidebar.classList.add("open");
  openButton.setAttribute("aria-expanded", "true");
  document.getElementById("search").focus();
});
document.getElementById("close-sidebar").addEventListener("click", closeSidebar);
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && sidebar.classList.contains("open")) closeSidebar();
});
document.getElementById("new-thread").addEventListener("click", newThread);

function route() {
  const m = location.hash.match(/^#\/t\/(.+)$/);
  if (m) openThread(decodeURIComponent(m[1])).catch((e) => {
    report(e);
    newThread();
  });
  else newThread();
}
window.addEventListener("popstate", route);

async function start() {
  await threads.reload();
  await settings.loadModels().catch(report);
  route();
  document.body.dataset.ready = "true";
}
start().catch(report);
