// The `ollama` npm client against Parley's Ollama API: tags, show, chat whole and streamed, generate
// whole and streamed, structured output from a JSON schema, thinking apart from content, and errors.
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
// a route Parley does not have answers in Ollama's shape, so the client can say what went wrong
await assert.rejects(ollama.delete({ model }), (e) => e.status_code === 404 && e.error.includes("DELETE /api/delete"));
console.log(`ollama client: ok (${JSON.stringify(text)})`);
