// The official `openai` npm client (6.49.0) on Parley's Conversations API and stored responses:
// conversations.create with items and metadata, responses.create({conversation}) twice (the second sees
// the first), items paging, responses.retrieve, input items, and the deletes.
import assert from "node:assert/strict";
import OpenAI from "openai";

const base = process.argv[2];
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.PARLEY_KEY ?? "unused", maxRetries: 0 });

const conv = await client.conversations.create({
  metadata: { topic: "node" },
  items: [
    { type: "message", role: "user", content: "My name is Ann." },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello Ann." }] },
  ],
});
assert.match(conv.id, /^conv_/);
assert.equal(conv.object, "conversation");
assert.equal(conv.metadata.topic, "node");
assert.equal((await client.conversations.retrieve(conv.id)).id, conv.id);

const first = await client.responses.create({ conversation: conv.id, input: "What is my name?", max_output_tokens: 4, temperature: 0 });
assert.equal(first.conversation.id, conv.id);
const second = await client.responses.create({ conversation: { id: conv.id }, input: "Again?", max_output_tokens: 4, temperature: 0 });
assert.ok(second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens, "the second response sees the first");
assert.ok(second.usage.input_tokens_details.cached_tokens >= first.usage.input_tokens, "and reuses its KV cache");

// Paging: two at a time, oldest first, through the SDK's auto-pagination and by hand.
const texts = [];
for await (const item of client.conversations.items.list(conv.id, { limit: 2, order: "asc" })) {
  assert.equal(item.type, "message");
  texts.push(item.content[0].text);
}
assert.equal(texts.length, 6);
assert.deepEqual([texts[0], texts[1], texts[2], texts[4]], ["My name is Ann.", "Hello Ann.", "What is my name?", "Again?"]);
const page = await client.conversations.items.list(conv.id, { limit: 2 });
assert.equal(page.data.length, 2);
assert.equal(page.has_more, true);
assert.equal(page.data[1].content[0].text, "Again?", "newest first by default");

const added = await client.conversations.items.create(conv.id, { items: [{ type: "message", role: "user", content: "A note." }] });
assert.equal(added.data.length, 1);
const note = await client.conversations.items.retrieve(added.data[0].id, { conversation_id: conv.id });
assert.equal(note.content[0].text, "A note.");
const afterDelete = await client.conversations.items.delete(note.id, { conversation_id: conv.id });
assert.equal(afterDelete.id, conv.id);

const stored = await client.responses.retrieve(second.id);
assert.equal(stored.id, second.id);
assert.equal(stored.output_text, second.output_text);
const inputs = [];
for await (const item of client.responses.inputItems.list(second.id)) {
  inputs.push(item);
}
assert.equal(inputs.length, 1);
assert.equal(inputs[0].content[0].text, "Again?");
await client.responses.delete(second.id);
await assert.rejects(client.responses.retrieve(second.id), (e) => e.status === 404);

const updated = await client.conversations.update(conv.id, { metadata: { topic: "done" } });
assert.equal(updated.metadata.topic, "done");
const deleted = await client.conversations.delete(conv.id);
assert.equal(deleted.deleted, true);
assert.equal(deleted.object, "conversation.deleted");
await assert.rejects(client.conversations.retrieve(conv.id), (e) => e instanceof OpenAI.NotFoundError);
console.log("openai conversations: ok");
