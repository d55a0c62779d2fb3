// The chat page in a real browser (Debian's chromium driven by playwright-core) against a test server
// with API keys on: the key prompt, a new thread and its streamed answer, stop mid-answer, reload, an
// edit that forks (the original stays), attachments (one read, one refused in the API's words),
// sanitized markdown (raw HTML and javascript: links shown as text, never run), delete with a
// confirmation. Writes chat-page-wide.png and chat-page-narrow.png into OUT_DIR.
// Arguments: BASE_URL OUT_DIR GOOD_PDF REFUSED_FILE; environment PARLEY_KEY, CHROMIUM.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { chromium } from "playwright-core";

const [base, outDir, goodPdf, refusedFile] = process.argv.slice(2);
const key = process.env.PARLEY_KEY;
const T = 20_000;
const started = Date.now();
const step = (name) => console.log(`${((Date.now() - started) / 1000).toFixed(1)}s ${name}`);

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const profile = mkdtempSync(join(tmpdir(), "parley-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 800 },
});
const problems = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const listed = (n) => page.waitForFunction((count) => document.querySelectorAll('[data-testid="thread-list"] li[data-thread-id]').length === count, n);
  page.setDefaultTimeout(T);
  // Any alert/confirm/prompt is a script that should never have run (the page's own confirmations are <dialog>s).
  page.on("dialog", (d) => {
    problems.push(`a JavaScript dialog opened: ${d.type()} ${d.message()}`);
    d.dismiss();
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    // failed loads are checked by their responses below; any other error (a CSP violation, say) is a problem
    if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  const refusals = [];
  page.on("response", (r) => r.status() >= 400 && refusals.push(`${r.status()} ${new URL(r.url()).pathname}`));
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));

  // ---- the page, its policy and the key prompt ----
  const response = await page.goto(base + "/");
  assert.match(response.headers()["content-type"], /^text\/html/);
  const csp = response.headers()["content-security-policy"];
  assert.match(csp, /script-src 'self'(;|$)/, "no inline script, no eval");
  assert.match(csp, /default-src 'none'/);
  await page.locator("#key-dialog").waitFor({ state: "visible" });
  // a refused key is forgotten and the prompt comes back with the server's words
  await page.fill("#key-input", "not-the-key");
  await page.press("#key-input", "Enter");
  await page.waitForFunction(() => document.getElementById("key-dialog").open && document.getElementById("key-input").value === "");
  assert.match(await page.locator("#key-reason").textContent(), /key/i);
  await page.fill("#key-input", key);
  await page.press("#key-input", "Enter");
  await page.locator("body[data-ready=true]").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("parley.api_key")), key);
  step("page loaded, key taken");

  const threadItems = page.locator('[data-testid="thread-list"] li[data-thread-id]');
  const messages = page.locator('[data-testid="message"]');
  const composer = page.locator('[data-testid="composer"] textarea');
  const answers = page.locator('[data-testid="message"][data-role="assistant"]');

  async function setMaxTokens(n) {
    if (await page.locator("#settings").isHidden()) await page.click("#settings-button");
    await page.fill("#set-max-tokens", String(n));
    await page.click("#settings-save");
    await page.locator("#settings-note").filter({ hasText: /Saved|Kept/ }).waitFor();
  }

  // ---- a new thread and its streamed answer (Enter sends; Shift+Enter is a new line) ----
  await setMaxTokens(12);
  assert.ok(await page.locator("#model-field").isHidden(), "one model served: no model choice");
  await composer.click();
  await composer.type("Hello there,");
  await composer.press("Shift+Enter");
  await composer.type("how are you?");
  assert.equal(await composer.inputValue(), "Hello there,\nhow are you?");
  await composer.press("Enter");
  await answers.first().locator(".stats").filter({ hasText: /tokens\/s/ }).waitFor();
  assert.equal(await threadItems.count(), 1);
  const firstId = await threadItems.first().getAttribute("data-thread-id");
  const stored = (await api("GET", `/api/v1/conversations/${firstId}`)).body;
  assert.deepEqual(stored.messages.map((m) => m.role), ["user", "assistant"]);
  assert.equal(stored.messages[0].content, "Hello there,\nhow are you?");
  assert.equal(stored.metadata.settings.max_tokens, 12, "the settings were saved with the thread");
  const stats = await answers.first().locator(".stats").textContent();
  assert.match(stats, new RegExp(`^${stored.messages[1].usage.completion_tokens} tokens · [0-9.]+ tokens/s · first token \\d+ ms · \\d+ of \\d+ prompt tokens from cache`));
  step("first answer streamed");

  // ---- stop mid-answer: the partial answer shows, nothing is stored ----
  await setMaxTokens(3000);
  await composer.fill("Tell me a very long story.");
  await composer.press("Enter");
  const live = answers.nth(1);
  await live.locator(".content").filter({ hasText: /\S/ }).waitFor();
  await page.click('[data-testid="stop"]');
  await live.locator(".note").filter({ hasText: /Stopped/ }).waitFor();
  const partial = (await live.locator(".content").textContent()).length;
  assert.ok(partial > 0, "part of the answer arrived before the stop");
  assert.ok(await page.locator('[data-testid="stop"]').isHidden());
  await setMaxTokens(12);
  step(`stopped after ${partial} characters`);

  // ---- reload: the thread is there, with its stored turn and its settings ----
  await page.reload();
  await page.locator("body[data-ready=true]").waitFor();
  await messages.nth(1).waitFor();
  assert.equal(await messages.count(), 2, "the stopped turn was not stored");
  assert.equal(await page.locator("#thread-title").textContent(), stored.title);
  assert.equal(await page.inputValue("#set-max-tokens"), "12");
  assert.equal(await threadItems.count(), 1);
  step("reloaded");

  // ---- attachments: a PDF read (its size in tokens), a file refused in the API's own words ----
  const refusedDirect = await fetch(`${base}/api/v1/files?filename=${encodeURIComponent(basename(refusedFile))}`, {
    method: "POST", headers: { Authorization: `Bearer ${key}` }, body: readFileSync(refusedFile),
  });
  assert.ok(refusedDirect.status >= 400);
  const refusal = JSON.parse(await refusedDirect.text()).Error.error.description;
  await page.setInputFiles("#file-input", [goodPdf, refusedFile]);
  const good = page.locator("#attachments li").filter({ hasText: basename(goodPdf) });
  await good.locator(".info").filter({ hasText: /^\d+ tokens$/ }).waitFor();
  const bad = page.locator("#attachments li.refused");
  await bad.waitFor();
  assert.equal(await bad.locator(".info").textContent(), refusal);
  const fileId = await good.getAttribute("data-file-id");
  await composer.fill("What does the report say?");
  await composer.press("Enter");
  await answers.nth(1).locator(".stats").filter({ hasText: /tokens/ }).waitFor();
  const withFile = (await api("GET", `/api/v1/conversations/${firstId}`)).body;
  assert.deepEqual(withFile.messages[2].files, [fileId]);
  assert.ok(withFile.messages[3].usage.prompt_tokens - withFile.messages[1].usage.prompt_tokens > 15, "the document went into the prompt");
  step("attached");

  // ---- edit the second message: a fork appears (sharing the history before it), the original stays ----
  const secondUser = page.locator('[data-testid="message"][data-role="user"]').nth(1);
  await secondUser.getByRole("button", { name: /Edit this message/ }).click();
  await secondUser.locator("textarea").fill("What does the report say? Answer briefly.");
  await secondUser.locator('[data-testid="fork"]').click();
  await page.waitForFunction((id) => location.hash.startsWith("#/t/") && !location.hash.endsWith(id), firstId);
  await answers.nth(1).locator(".stats").filter({ hasText: /tokens/ }).waitFor();
  await page.locator('#fork-origin[data-testid="fork"]').waitFor({ state: "visible" });
  await listed(2);
  assert.equal(await page.locator('[data-testid="thread-list"] [data-testid="fork"]').count(), 1, "the list marks the fork");
  const forkId = decodeURIComponent((await page.evaluate(() => location.hash)).slice(4));
  const fork = (await api("GET", `/api/v1/conversations/${forkId}`)).body;
  assert.equal(fork.parent_id, firstId);
  assert.deepEqual(fork.messages.slice(0, 2).map((m) => m.content), withFile.messages.slice(0, 2).map((m) => m.content), "the shared history");
  assert.deepEqual(fork.messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
  assert.equal(fork.messages[2].content, "What does the report say? Answer briefly.");
  assert.deepEqual(fork.messages[2].files, [fileId], "the edited message keeps its attachment");
  assert.ok(fork.messages[3].usage.cached_prompt_tokens > 0, "the fork's first turn reused the parent's KV");
  assert.match(await answers.nth(1).locator(".stats").textContent(), new RegExp(`${fork.messages[3].usage.cached_prompt_tokens} of \\d+ prompt tokens from cache`));
  const original = (await api("GET", `/api/v1/conversations/${firstId}`)).body;
  assert.deepEqual(original.messages.map((m) => m.content), withFile.messages.map((m) => m.content), "the original branch is unchanged");
  await page.click("#fork-origin");
  await page.locator('[data-testid="message"][data-role="user"]').filter({ hasText: "What does the report say?" }).first().waitFor();
  await page.waitForFunction((id) => location.hash.endsWith(encodeURIComponent(id)), firstId);
  step("edited: fork made, original kept");

  // ---- regenerate the first answer: another fork, made at the first question and answered anew ----
  await answers.nth(0).getByRole("button", { name: /Regenerate this answer/ }).click();
  await page.waitForFunction((ids) => !ids.some((id) => location.hash.endsWith(encodeURIComponent(id))), [firstId, forkId]);
  await answers.nth(0).locator(".stats").filter({ hasText: /tokens/ }).waitFor();
  await listed(3);
  const againId = decodeURIComponent((await page.evaluate(() => location.hash)).slice(4));
  const again = (await api("GET", `/api/v1/conversations/${againId}`)).body;
  assert.equal(again.parent_id, firstId);
  assert.equal(again.forked_at_message_id, withFile.messages[0].id);
  assert.deepEqual(again.messages.map((m) => m.role), ["user", "assistant"]);
  assert.equal(again.messages[0].content, withFile.messages[0].content);
  assert.equal(await messages.count(), 2);
  step("regenerated: a second fork");

  // ---- markdown from the model is sanitized: raw HTML and javascript: links are text, nothing runs ----
  const hostile = (await api("POST", "/api/v1/conversations", { title: "Hostile markup" })).body;
  const turn = await api("POST", `/api/v1/conversations/${hostile.id}/messages`, {
    prompt: "<img src=x onerror=alert(1)> and [click me](javascript:alert(2))",
    stream: false,
    max_tokens: 120,
    grammar: 'root ::= "<think>\\nweighing it\\n</think>\\n\\nSee <img src=x onerror=alert(3)> and [run](javascript:alert(4)).\\n\\n```js\\nlet x = 1;\\n```\\n"',
  });
  assert.equal(turn.status, 200, JSON.stringify(turn.body));
  await page.reload();
  await page.locator("body[data-ready=true]").waitFor();
  // the search box finds it by a word of its messages (the API's ?q=), and only it
  await page.fill("#search", "onerror");
  await page.waitForFunction(() => {
    const items = document.querySelectorAll('[data-testid="thread-list"] li[data-thread-id]');
    return items.length === 1;
  });
  assert.equal(await threadItems.first().getAttribute("data-thread-id"), hostile.id);
  await threadItems.first().locator(".open").click();
  await answers.first().locator(".code-block").waitFor();
  await page.waitForTimeout(300); // an onerror would have fired by now
  const shown = page.locator('[data-testid="message"]');
  assert.equal(await shown.locator("img, script, iframe").count(), 0, "no element made from the text");
  assert.equal(await shown.locator('a[href^="javascript"], [onerror]').count(), 0);
  assert.match(await shown.first().textContent(), /<img src=x onerror=alert\(1\)> and \[click me\]\(javascript:alert\(2\)\)/);
  const answerText = await answers.first().locator(".content").textContent();
  assert.match(answerText, /See <img src=x onerror=alert\(3\)> and \[run\]\(javascript:alert\(4\)\)\./);
  assert.equal(await answers.first().locator(".code-block .copy").count(), 1, "a code block has its copy button");
  assert.equal(await answers.first().locator("code.hljs").count(), 1, "and is highlighted");
  const thinking = answers.first().locator("details.thinking");
  assert.equal(await thinking.getAttribute("open"), null, "thinking is collapsed");
  assert.match(await thinking.textContent(), /weighing it/);
  step("hostile markup shown as text");

  await page.fill("#search", "");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="thread-list"] li[data-thread-id]').length === 4);
  step("searched");

  // ---- screenshots: the original thread (answers, stats, the attachment) wide and narrow ----
  await page.click(`[data-testid="thread-list"] li[data-thread-id="${firstId}"] .open`);
  await answers.nth(1).locator(".stats").waitFor();
  if (await page.locator("#settings").isVisible()) await page.click("#settings-button");
  await page.locator(".files").filter({ hasText: `${basename(goodPdf)} (` }).waitFor();
  await page.screenshot({ path: join(outDir, "chat-page-wide.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  // narrow, the list is a drawer off screen (once its slide has ended)
  await page.waitForFunction(() => document.getElementById("sidebar").getBoundingClientRect().right <= 0, null, { timeout: 3000 });
  await page.screenshot({ path: join(outDir, "chat-page-narrow.png") });
  await page.click("#open-sidebar");
  await page.locator("#sidebar.open").waitFor();
  await page.keyboard.press("Escape");
  await page.setViewportSize({ width: 1280, height: 800 });
  step("screenshots");

  // ---- delete a thread, after a confirmation ----
  const doomed = page.locator(`[data-testid="thread-list"] li[data-thread-id="${hostile.id}"]`);
  await doomed.getByRole("button", { name: /Delete thread/ }).click();
  await page.locator("#confirm-dialog").waitFor({ state: "visible" });
  await page.click("#confirm-ok");
  await doomed.waitFor({ state: "detached" });
  assert.equal((await api("GET", `/api/v1/conversations/${hostile.id}`)).status, 404);
  assert.equal(await threadItems.count(), 3);
  step("deleted");

  // ---- rename in place (Enter saves), then page through a longer list ----
  const item = page.locator(`[data-testid="thread-list"] li[data-thread-id="${firstId}"]`);
  await item.getByRole("button", { name: /Rename thread/ }).click();
  await item.locator("input.rename").fill("Lumen report");
  await item.locator("input.rename").press("Enter");
  await item.locator(".title").filter({ hasText: /^Lumen report$/ }).waitFor();
  assert.equal((await api("GET", `/api/v1/conversations/${firstId}`)).body.title, "Lumen report");
  assert.equal(await page.locator("#thread-title").textContent(), "Lumen report", "the open thread's header follows");
  for (let i = 0; i < 20; i++) assert.equal((await api("POST", "/api/v1/conversations", { title: `Filler ${i}` })).status, 201);
  await page.reload();
  await page.locator("body[data-ready=true]").waitFor();
  assert.equal(await threadItems.count(), 20, "a page of 20, newest first");
  assert.equal(await threadItems.first().locator(".title").textContent(), "Filler 19");
  await page.click("#more-threads");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="thread-list"] li[data-thread-id]').length === 23);
  assert.ok(await page.locator("#more-threads").isHidden(), "no page after the last");
  step("renamed, paged");

  const foreign = requested.filter((u) => !u.startsWith(base) && !u.startsWith("data:"));
  assert.deepEqual(foreign, [], "the page fetched nothing from elsewhere");
  assert.deepEqual(problems, []);
  assert.deepEqual(refusals, ["401 /api/v1/conversations", "401 /api/v1/conversations", "422 /api/v1/files"],
    "no key, the wrong key, the refused file: nothing else");
  console.log(`chat-page: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
