// The official `openai` npm client against Parley's /v1: a whole chat completion and the same one streamed.
import assert from "node:assert/strict";
import OpenAI from "openai";

const base = process.argv[2];
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.PARLEY_KEY ?? "unused", maxRetries: 0 });
const request = { model: "parley", messages: [{ role: "user", content: "Hello!" }], max_tokens: 5, temperature: 0 };

const whole = await client.chat.completions.create(request);
assert.equal(whole.object, "chat.completion");
assert.equal(whole.choices.length, 1);
assert.equal(whole.choices[0].finish_reason, "length");
assert.equal(whole.usage.completion_tokens, 5);

let text = "";
let usage = null;
const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
for await (const chunk of stream) {
  for (const choice of chunk.choices) text += choice.delta?.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(text, whole.choices[0].message.content, "greedy: streamed text equals the whole answer");
assert.equal(usage.completion_tokens, 5);
console.log(`openai client: ok (${JSON.stringify(text)})`);
