// The `ollama` npm client against Parley's Ollama API: tags, show, chat whole and streamed, generate
// whole and streamed, structured output from a JSON schema, thinking apart from content, tool calls round
// trip, and errors as the client shows them.
import assert from "node:assert/strict";
import { Ollama } from "ollama";

const base = process.argv[2];
const key = process.env.PARLEY_KEY;
const ollama = new Ollama({ host: base, headers: key ? { Authorization: `Bearer ${key}` } : {} });
const options = { num_predict: 5, temperature: 0 };

const tags = await ollama.list();
assert.equal(tags.models.length, 1);
const model = tags.models[0].name;
assert.equal(tags.models[0].details.format, "gguf");

const shown = await ollama.show({ model });
assert.ok(shown.capabilities.includes("completion"));
assert.equal(shown.details.family, tags.models[0].details.family);

const messages = [{ role: "user", content: "Hello!" }];
const whole = await ollama.chat({ model, messages, options });
assert.equal(whole.done, true);
assert.equal(whole.done_reason, "length");
assert.equal(whole.eval_count, 5);
assert.equal(whole.message.role, "assistant");
let text = "";
let last = null;
for await (const part of await ollama.chat({ model, messages, options, stream: true })) {
  text += part.message.content;
  last = part;
}
assert.equal(text, whole.message.content, "greedy: streamed text equals the whole answer");
assert.equal(last.done, true);
assert.equal(last.eval_count, 5);

const generated = await ollama.generate({ model, prompt: "Hello!", options });
assert.equal(generated.done, true);
assert.equal(generated.eval_count, 5);
let response = "";
for await (const part of await ollama.generate({ model, prompt: "Hello!", options, stream: true })) response += part.response;
assert.equal(response, generated.response);

const schema = { type: "object", properties: { answer: { type: "string", enum: ["yes", "no"] } }, required: ["answer"] };
const structured = await ollama.chat({ model, messages: [{ role: "user", content: "Yes or no?" }], format: schema,
  options: { num_predict: 40, temperature: 0 } });
assert.ok(["yes", "no"].includes(JSON.parse(structured.message.content).answer), structured.message.content);

// The tiny model's text is random: a grammar (Parley's extension) makes it think, to see thinking kept apart.
const grammar = 'root ::= "<think>\\nhmm\\n</think>\\n\\nAnswer."';
const thought = await ollama.chat({ model, messages, think: true, grammar, options: { num_predict: 40, temperature: 0 } });
assert.equal(thought.message.thinking, "\nhmm\n");
assert.equal(thought.message.content, "\n\nAnswer.");

await assert.rejects(ollama.chat({ model, messages: [{ role: "robot", content: "hi" }] }),
  (e) => e.status_code === 400 && e.error.includes("role"));

// Tools: the reply's call comes back parsed in message.tool_calls, whole and streamed; the tool's answer goes
// back with role "tool". The tiny model's text is random: a grammar (Parley's extension) writes Qwen's call markup.
const tools = [{ type: "function", function: { name: "get_weather", description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
const callGrammar = 'root ::= "<tool_call>\\n{\\"name\\": \\"get_weather\\", \\"arguments\\": {\\"city\\": \\"Paris\\"}}\\n</tool_call>"';
const asked = [{ role: "user", content: "Weather in Paris?" }];
const toolOptions = { num_predict: 60, temperature: 0 };
const called = await ollama.chat({ model, messages: asked, tools, think: false, grammar: callGrammar, options: toolOptions });
assert.deepEqual(called.message.tool_calls, [{ function: { name: "get_weather", arguments: { city: "Paris" } } }]);
assert.equal(called.message.content, "", "the call's markup is not content");
const streamedCalls = [];
for await (const part of await ollama.chat({ model, messages: asked, tools, think: false, grammar: callGrammar, options: toolOptions,
  stream: true })) {
  assert.equal(part.message.content, "");
  streamedCalls.push(...(part.message.tool_calls ?? []));
}
assert.deepEqual(streamedCalls, called.message.tool_calls, "streamed: the same call, in one chunk");
const answered = await ollama.chat({ model, tools, think: false, grammar: 'root ::= "It is 21 degrees."', options: toolOptions,
  messages: [...asked, called.message, { role: "tool", tool_name: "get_weather", content: "21 degrees and sunny" }] });
assert.equal(answered.message.content, "It is 21 degrees.");
assert.equal(answered.message.tool_calls, undefined);

// Errors: the client's ResponseError carries Parley's message and the status.
const refused = await ollama.chat({ model, messages, keep_alive: "soon" }).then(() => null, (e) => e);
assert.equal(refused?.name, "ResponseError");
assert.equal(refused.status_code, 400);
assert.match(refused.message, /^keep_alive must be a duration/);
const stranger = await new Ollama({ host: base, headers: { Authorization: "Bearer not-a-key" } }).list().then(() => null, (e) => e);
assert.equal(stranger?.status_code, key ? 401 : undefined);
console.log(`ollama client: ok (${JSON.stringify(text)})`);
