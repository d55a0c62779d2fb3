// The chat page against a server of several models (no API keys): the model choice is shown, a new
// thread is created with the model chosen and keeps it as its own field (not in metadata.settings),
// turns do not send it (the server runs them on the thread's model), a saved change PATCHes it, and
// the thread shows its model again after a reload. Arguments: BASE_URL; environment CHROMIUM.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "parley-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const problems = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const turns = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && /\/messages$/.test(new URL(r.url()).pathname)) turns.push(JSON.parse(r.postData()));
  });
  await page.goto(base + "/");
  await page.locator("body[data-ready=true]").waitFor();
  await page.click("#settings-button");
  assert.ok(await page.locator("#model-field").isVisible(), "several models: the choice is shown");
  await page.selectOption("#set-model", "beta");
  await page.fill("#set-max-tokens", "3");
  await page.click("#settings-save");
  await page.locator("#settings-note").filter({ hasText: /Kept/ }).waitFor();

  const composer = page.locator('[data-testid="composer"] textarea');
  await composer.fill("hi");
  await composer.press("Enter");
  await page.locator('[data-testid="message"][data-role="assistant"] .stats').first().waitFor();
  const id = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/t\//, ""));
  let thread = await (await fetch(`${base}/api/v1/conversations/${encodeURIComponent(id)}`)).json();
  assert.equal(thread.model, "beta", "the thread keeps the model chosen");
  assert.equal(thread.metadata.settings.model, undefined, "the model is the thread's field, not a setting");
  assert.equal(turns.length, 1);
  assert.equal(turns[0].model, undefined, "the turn runs on the thread's model: it names none");

  await page.selectOption("#set-model", "gamma");
  await page.click("#settings-save");
  await page.locator("#settings-note").filter({ hasText: /Saved/ }).waitFor();
  thread = await (await fetch(`${base}/api/v1/conversations/${encodeURIComponent(id)}`)).json();
  assert.equal(thread.model, "gamma", "a saved change patches the thread's model");

  await page.reload();
  await page.locator("body[data-ready=true]").waitFor();
  await page.waitForFunction(() => document.getElementById("set-model").value === "gamma");
  assert.deepEqual(problems, []);
  console.log("ok: the chat page keeps each thread's model");
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
