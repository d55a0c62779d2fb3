// @langchain/openai's ChatOpenAI: bindTools returning tool_calls (forced), and withStructuredOutput (json_schema).
import assert from "node:assert/strict";
import { ChatOpenAI } from "@langchain/openai";
import { tool } from "@langchain/core/tools";
import { z } from "zod";

const base = process.argv[2];
const chat = new ChatOpenAI({ model: "parley", apiKey: process.env.PARLEY_KEY ?? "unused", configuration: { baseURL: `${base}/v1` },
  maxTokens: 120, maxRetries: 0, modelKwargs: { seed: 7 } });

const getWeather = tool(async ({ city }) => `sunny in ${city}`, {
  name: "get_weather", description: "The weather in a city", schema: z.object({ city: z.string().regex(/^[a-z]{1,12}$/) }),
});
const reply = await chat.bindTools([getWeather], { tool_choice: "required" }).invoke("What is the weather in Paris?");
assert.ok(reply.tool_calls.length >= 1, JSON.stringify(reply));
assert.equal(reply.tool_calls[0].name, "get_weather");
assert.equal(typeof reply.tool_calls[0].args.city, "string");
assert.match(reply.tool_calls[0].id, /^call_/);

const person = z.object({ name: z.string().regex(/^[a-z]{1,10}$/), age: z.number().int().min(0).max(120) });
const structured = await chat.withStructuredOutput(person, { name: "person" }).invoke("Describe a person");
assert.deepEqual(person.parse(structured), structured);
console.log(`langchain: ok (${JSON.stringify(reply.tool_calls[0].args)}, ${JSON.stringify(structured)})`);
