// The official `openai` npm client: tool calls (whole and streamed, forced by tool_choice), a json_schema
// response format parsed against its schema, and the Responses API (whole, streamed, continued by id).
import assert from "node:assert/strict";
import OpenAI from "openai";

const base = process.argv[2];
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.PARLEY_KEY ?? "unused", maxRetries: 0 });
const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", maxLength: 12 }, unit: { enum: ["c", "f"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};
const messages = [{ role: "user", content: "What is the weather in Paris?" }];
function checkArguments(call) {
  assert.equal(call.function.name, "get_weather");
  const args = JSON.parse(call.function.arguments);
  assert.equal(typeof args.city, "string");
  assert.ok([...args.city].length <= 12, "maxLength counts code points"); // JSON Schema counts characters, not UTF-16 units
  assert.ok(["c", "f"].includes(args.unit));
}

// Tool calls, whole: tool_choice "required" makes even the random model call.
const whole = await client.chat.completions.create({ model: "parley", messages, tools: [weather], tool_choice: "required", max_tokens: 120, seed: 1 });
assert.equal(whole.choices[0].finish_reason, "tool_calls");
assert.equal(whole.choices[0].message.content, null);
assert.ok(whole.choices[0].message.tool_calls.length >= 1);
for (const call of whole.choices[0].message.tool_calls) {
  assert.match(call.id, /^call_/);
  checkArguments(call);
}

// Tool calls, streamed: the SDK's stream helper assembles the deltas into the final message.
const runner = client.chat.completions.stream({
  model: "parley", messages, tools: [weather], tool_choice: { type: "function", function: { name: "get_weather" } },
  parallel_tool_calls: false, max_tokens: 120, seed: 2,
});
const streamed = await runner.finalChatCompletion();
assert.equal(streamed.choices[0].finish_reason, "tool_calls");
assert.equal(streamed.choices[0].message.tool_calls.length, 1);
checkArguments(streamed.choices[0].message.tool_calls[0]);

// The call and its result go back in the history.
const followUp = await client.chat.completions.create({
  model: "parley", tools: [weather], max_tokens: 4,
  messages: [...messages, whole.choices[0].message, { role: "tool", tool_call_id: whole.choices[0].message.tool_calls[0].id, content: "18 C" }],
});
assert.equal(followUp.choices[0].message.role, "assistant");

// Structured output: json_schema.
const schema = {
  type: "object",
  properties: { name: { type: "string", maxLength: 10 }, age: { type: "integer", minimum: 0, maximum: 120 } },
  required: ["name", "age"],
  additionalProperties: false,
};
const structured = await client.chat.completions.create({
  model: "parley", messages: [{ role: "user", content: "A person, as JSON" }], max_tokens: 80, seed: 3,
  response_format: { type: "json_schema", json_schema: { name: "person", strict: true, schema } },
});
const person = JSON.parse(structured.choices[0].message.content);
assert.deepEqual(Object.keys(person).sort(), ["age", "name"]);
assert.ok(Number.isInteger(person.age) && person.age >= 0 && person.age <= 120);
assert.ok(typeof person.name === "string" && [...person.name].length <= 10);

// An unknown tool_choice is an OpenAI error the SDK raises as BadRequestError.
await assert.rejects(client.chat.completions.create({ model: "parley", messages, tools: [weather], tool_choice: "bogus" }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === "tool_choice");

// Log probabilities of the content tokens, with alternatives.
const withLogprobs = await client.chat.completions.create({ model: "parley", messages, max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2 });
assert.equal(withLogprobs.choices[0].logprobs.content.length, 3);
for (const t of withLogprobs.choices[0].logprobs.content) {
  assert.ok(t.logprob <= 0 && t.top_logprobs.length === 2);
}

// Responses API, whole, then continued by previous_response_id (the server keeps the conversation).
const first = await client.responses.create({ model: "parley", instructions: "Be brief.", input: "Hello!", max_output_tokens: 6, temperature: 0 });
assert.equal(first.object, "response");
assert.equal(first.status, "incomplete");
assert.equal(first.incomplete_details.reason, "max_output_tokens");
assert.equal(first.usage.output_tokens, 6);
assert.ok(first.output_text.length > 0);
const second = await client.responses.create({ model: "parley", previous_response_id: first.id, input: "And then?", max_output_tokens: 4, temperature: 0 });
assert.equal(second.previous_response_id, first.id);
assert.ok(second.usage.input_tokens > first.usage.input_tokens, "the second turn's prompt holds the first exchange");
assert.ok(second.usage.input_tokens_details.cached_tokens > 0, "and reuses its KV cache");

// Responses API, streamed: the text deltas add up to the final response's text.
const events = [];
let deltas = "";
const stream = await client.responses.create({ model: "parley", input: [{ role: "user", content: "Hello!" }], max_output_tokens: 6, temperature: 0, stream: true });
for await (const e of stream) {
  events.push(e.type);
  if (e.type === "response.output_text.delta") deltas += e.delta;
  if (e.type === "response.incomplete" || e.type === "response.completed") assert.equal(e.response.output[0].content[0].text, deltas);
}
assert.equal(events[0], "response.created");
assert.ok(events.includes("response.output_item.added") && events.includes("response.output_text.delta"));
assert.equal(events.at(-1), "response.incomplete");

// Responses API with a forced function call.
const called = await client.responses.create({
  model: "parley", input: "Weather in Paris?", max_output_tokens: 120, seed: 4, tool_choice: "required",
  tools: [{ type: "function", ...weather.function }],
});
const call = called.output.find((item) => item.type === "function_call");
assert.ok(call, JSON.stringify(called.output));
checkArguments({ function: call });
console.log(`openai tools, json_schema and responses: ok (${whole.choices[0].message.tool_calls[0].function.arguments})`);
