// @openai/agents over the Responses API: a plain run, and a run whose first turn is forced to call a tool
// (the SDK runs the tool, sends its output back as a function_call_output item, and the model answers).
import assert from "node:assert/strict";
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled, tool } from "@openai/agents";
import OpenAI from "openai";
import { z } from "zod";

const base = process.argv[2];
setTracingDisabled(true);
setDefaultOpenAIClient(new OpenAI({ baseURL: `${base}/v1`, apiKey: process.env.PARLEY_KEY ?? "unused", maxRetries: 0 }));

const plain = new Agent({ name: "plain", instructions: "Be brief.", model: "parley", modelSettings: { maxTokens: 5, temperature: 0 } });
const answer = await run(plain, "Hello!");
assert.equal(typeof answer.finalOutput, "string");
assert.ok(answer.finalOutput.length > 0);

let called = null;
const getWeather = tool({
  name: "get_weather", description: "The weather in a city", parameters: z.object({ city: z.string().regex(/^[a-z]{1,12}$/) }),
  execute: async ({ city }) => { called = city; return `sunny in ${city}`; },
});
const agent = new Agent({ name: "weather", instructions: "Use tools.", model: "parley", tools: [getWeather],
  modelSettings: { maxTokens: 60, seed: 8, toolChoice: "required" } });
const result = await run(agent, "Weather in Paris?", { maxTurns: 3 });
assert.equal(typeof called, "string", "the forced call ran the tool");
const types = result.newItems.map((item) => item.type);
assert.ok(types.includes("tool_call_item") && types.includes("tool_call_output_item"), types.join(","));
console.log(`openai agents: ok (${types.join(",")})`);
