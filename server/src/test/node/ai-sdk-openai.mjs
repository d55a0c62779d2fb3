// The `ai` SDK with its default OpenAI provider (@ai-sdk/openai, which calls /v1/responses): generateText,
// streamText, generateObject with a zod schema, and a forced tool call.
import assert from "node:assert/strict";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText, streamText, tool } from "ai";
import { z } from "zod";

const base = process.argv[2];
const openai = createOpenAI({ baseURL: `${base}/v1`, apiKey: process.env.PARLEY_KEY ?? "unused" });
const model = openai("parley");

const text = await generateText({ model, prompt: "Hello!", maxOutputTokens: 5, temperature: 0, maxRetries: 0 });
assert.equal(text.finishReason, "length");
assert.equal(text.usage.outputTokens, 5);
assert.ok(text.text.length > 0);

const streamed = streamText({ model, prompt: "Hello!", maxOutputTokens: 5, temperature: 0, maxRetries: 0 });
let joined = "";
for await (const delta of streamed.textStream) joined += delta;
assert.equal(joined, text.text, "greedy: streamed text equals the whole answer");
assert.equal((await streamed.usage).outputTokens, 5);

const person = z.object({ name: z.string().regex(/^[a-z]{1,10}$/), age: z.number().int().min(0).max(120) });
const object = await generateObject({ model, schema: person, prompt: "A person", maxOutputTokens: 80, seed: 5, maxRetries: 0 });
assert.deepEqual(person.parse(object.object), object.object);

const called = await generateText({
  model, prompt: "Weather in Paris?", maxOutputTokens: 120, seed: 6, maxRetries: 0, toolChoice: "required",
  tools: { get_weather: tool({ description: "The weather", inputSchema: z.object({ city: z.string().regex(/^[a-z]{1,12}$/) }) }) },
});
assert.equal(called.toolCalls.length >= 1, true, JSON.stringify(called.content));
assert.equal(called.toolCalls[0].toolName, "get_weather");
assert.equal(typeof called.toolCalls[0].input.city, "string");
console.log(`ai sdk (openai provider): ok (${JSON.stringify(object.object)})`);
