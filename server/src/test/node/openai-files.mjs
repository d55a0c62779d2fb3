// The official `openai` npm client's Files API against Parley's /v1/files, then the uploaded file as a
// `{"type": "file", "file": {"file_id"}}` part of a chat completion, as OpenAI's docs show it.
import assert from "node:assert/strict";
import OpenAI, { toFile } from "openai";

const base = process.argv[2];
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.PARLEY_KEY ?? "unused", maxRetries: 0 });
const text = "# Pump manual\n\nPress the red button to start the pump.\nHold the blue lever to drain the tank.";

const file = await client.files.create({ file: await toFile(Buffer.from(text), "manual.md"), purpose: "user_data" });
assert.equal(file.object, "file");
assert.equal(file.filename, "manual.md");
assert.equal(file.bytes, Buffer.byteLength(text));
assert.equal(file.status, "processed");

assert.equal((await client.files.retrieve(file.id)).id, file.id);
const listed = [];
for await (const f of client.files.list()) listed.push(f.id);
assert.ok(listed.includes(file.id), "the upload is listed");
const content = await (await client.files.content(file.id)).text();
assert.ok(content.includes("Press the red button to start the pump."), content);

const question = { type: "text", text: "How do I start the pump?" };
const plain = await client.chat.completions.create({ model: "parley", messages: [{ role: "user", content: [question] }], max_tokens: 2 });
const withFile = await client.chat.completions.create({
  model: "parley",
  messages: [{ role: "user", content: [{ type: "file", file: { file_id: file.id } }, question] }],
  max_tokens: 2,
});
assert.ok(withFile.usage.prompt_tokens > plain.usage.prompt_tokens + 15,
  `the document reached the prompt: ${withFile.usage.prompt_tokens} vs ${plain.usage.prompt_tokens} tokens`);

await assert.rejects(client.files.retrieve("file_000000000000000000000000"), (e) => e instanceof OpenAI.NotFoundError);
const deleted = await client.files.delete(file.id);
assert.equal(deleted.deleted, true);
await assert.rejects(client.files.retrieve(file.id), (e) => e instanceof OpenAI.NotFoundError);
console.log(`openai files: ok (${withFile.usage.prompt_tokens - plain.usage.prompt_tokens} prompt tokens from the file)`);
