// The official `@anthropic-ai/sdk` client against Parley's Messages API, with keys on (x-api-key): create,
// stream (the event order), a forced tool call and its tool_result sent back, a streamed forced call the
// SDK assembles, count_tokens against the usage of the same prompt, and errors as the SDK's typed errors.
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";

const base = process.argv[2];
const client = new Anthropic({ baseURL: base, apiKey: process.env.PARLEY_KEY, maxRetries: 0 });
const model = "parley";
// Parley's grammar field makes the tiny random model think, then answer: the text is known.
const grammar = 'root ::= "<think>\\nhmm\\n</think>\\n\\nAnswer."';
const think = {
  model, max_tokens: 40, temperature: 0, grammar, thinking: { type: "enabled", budget_tokens: 1024 },
  system: "Be brief.", metadata: { user_id: "u-1" }, messages: [{ role: "user", content: "Think." }],
};

// create
const created = await client.messages.create(think);
assert.equal(created.type, "message");
assert.equal(created.role, "assistant");
assert.match(created.id, /^msg_/);
assert.equal(created.stop_reason, "end_turn");
assert.equal(created.stop_sequence, null);
assert.deepEqual(created.content.map((b) => b.type), ["thinking", "text"]);
assert.equal(created.content[0].thinking, "\nhmm\n");
assert.equal(created.content[1].text, "\n\nAnswer.");
assert.ok(created.usage.input_tokens > 0 && created.usage.output_tokens > 0);
assert.equal(created.usage.cache_creation_input_tokens, 0);

// stream: Anthropic's event order (the SDK drops pings), and the accumulated message
const stream = client.messages.stream(think);
const order = [];
let text = "";
stream.on("text", (t) => { text += t; });
for await (const event of stream) {
  if (order.at(-1) !== event.type || event.type !== "content_block_delta") order.push(event.type);
}
assert.deepEqual(order, ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "content_block_start",
  "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
const streamed = await stream.finalMessage();
assert.deepEqual(streamed.content.map((b) => b.type), ["thinking", "text"]);
assert.equal(streamed.content[0].thinking, "\nhmm\n");
assert.equal(text, "\n\nAnswer.");
assert.equal(streamed.stop_reason, "end_turn");
assert.ok(streamed.usage.output_tokens > 0);

// a forced tool call, then its result sent back
const weather = {
  name: "get_weather", description: "The weather in a city",
  input_schema: {
    type: "object", properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["c", "f"] } },
    required: ["city", "unit"], additionalProperties: false,
  },
};
const question = [{ role: "user", content: "What is the weather in Paris?" }];
const called = await client.messages.create({
  model, max_tokens: 120, tools: [weather], messages: question,
  tool_choice: { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
});
assert.equal(called.stop_reason, "tool_use");
assert.equal(called.content.length, 1);
const use = called.content[0];
assert.equal(use.type, "tool_use");
assert.match(use.id, /^toolu_/);
assert.equal(use.name, "get_weather");
assert.equal(typeof use.input.city, "string");
assert.ok(["c", "f"].includes(use.input.unit));
const answered = await client.messages.create({
  model, max_tokens: 4, tools: [weather],
  messages: [...question, { role: "assistant", content: called.content },
    { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "18 C" }] }],
});
assert.equal(answered.role, "assistant");
assert.ok(["max_tokens", "end_turn", "tool_use"].includes(answered.stop_reason));

// a streamed forced call: the SDK assembles input_json_delta into the block's input
const toolStream = client.messages.stream({
  model, max_tokens: 160, tools: [weather], messages: question, tool_choice: { type: "any", disable_parallel_tool_use: true },
});
const streamedCall = await toolStream.finalMessage();
assert.equal(streamedCall.stop_reason, "tool_use");
const streamedUse = streamedCall.content.find((b) => b.type === "tool_use");
assert.ok(streamedUse, JSON.stringify(streamedCall.content));
assert.equal(typeof streamedUse.input.city, "string");
assert.ok(["c", "f"].includes(streamedUse.input.unit));

// count_tokens: the prompt the same request renders
const prompt = { model, system: "You count.", tools: [weather], messages: question };
const counted = await client.messages.countTokens(prompt);
assert.ok(counted.input_tokens > 0);
const same = await client.messages.create({ ...prompt, max_tokens: 1 });
assert.equal(counted.input_tokens, same.usage.input_tokens + same.usage.cache_read_input_tokens);

// errors: the SDK's typed errors, from Anthropic's error shape
await assert.rejects(client.messages.create({ model, max_tokens: 5, messages: [{ role: "user", content: [{ type: "video" }] }] }),
  (e) => e instanceof Anthropic.BadRequestError && e.status === 400 && e.type === "invalid_request_error" && typeof e.requestID === "string");
await assert.rejects(client.messages.create({ model, messages: question }),
  (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message));
const stranger = new Anthropic({ baseURL: base, apiKey: "not-a-key", maxRetries: 0 });
await assert.rejects(stranger.messages.countTokens(prompt), (e) => e instanceof Anthropic.AuthenticationError && e.status === 401);
console.log(`anthropic sdk: ok (${JSON.stringify(use.input)}, ${counted.input_tokens} input tokens)`);
