// The official `openai` client and the `ollama` client against Parley's embedding routes, on an
// embedding model. Asserts what each client sees, then prints one JSON line of facts the Java test checks.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { Ollama } from "ollama";

const base = process.argv[2];
const key = process.env.PARLEY_KEY;
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key ?? "unused", maxRetries: 0 });
const ollama = new Ollama({ host: base, headers: key ? { Authorization: `Bearer ${key}` } : {} });
const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const close = (a, b, eps) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) <= eps);

const model = (await openai.models.list()).data[0].id;

// default: the SDK asks for base64 and decodes it to numbers
const single = await openai.embeddings.create({ model, input: "The sea is calm tonight." });
assert.equal(single.object, "list");
assert.equal(single.data.length, 1);
const dims = single.data[0].embedding.length;
assert.ok(Math.abs(norm(single.data[0].embedding) - 1) < 1e-4, "OpenAI vectors are unit length");
assert.ok(single.usage.prompt_tokens > 0);
assert.equal(single.usage.total_tokens, single.usage.prompt_tokens);

const batch = await openai.embeddings.create({ model, input: ["first text", "The sea is calm tonight.", "third"], encoding_format: "float" });
assert.deepEqual(batch.data.map((d) => d.index), [0, 1, 2]);
assert.ok(close(batch.data[1].embedding, single.data[0].embedding, 1e-5), "batched equals single, float equals base64");
assert.ok(!close(batch.data[0].embedding, batch.data[2].embedding, 1e-3), "different inputs differ");

const tokens = await openai.embeddings.create({ model, input: [[9707, 1879], [9707]], encoding_format: "float" });
assert.equal(tokens.data.length, 2);
assert.equal(tokens.usage.prompt_tokens, 3, "token arrays are embedded as given");

let refused = null;
try {
  await openai.embeddings.create({ model, input: "x", dimensions: dims + 1 });
} catch (e) {
  refused = e;
}
assert.ok(refused instanceof OpenAI.BadRequestError, `dimensions refused with a 400, got ${refused}`);
assert.equal(refused.param, "dimensions");

assert.ok((await ollama.show({ model })).capabilities.includes("embedding"), "Ollama's show lists the embedding capability");

// Ollama: /api/embed normalized, truncate by default; the legacy /api/embeddings raw
const embed = await ollama.embed({ model, input: ["The sea is calm tonight.", "third"] });
assert.equal(embed.embeddings.length, 2);
assert.ok(close(embed.embeddings[0], batch.data[1].embedding, 1e-5), "Ollama and OpenAI give the same normalized vector");
assert.ok(embed.prompt_eval_count > 0);
assert.ok(embed.total_duration > 0);
const long = "word ".repeat(3000);
const cut = await ollama.embed({ model, input: long });
assert.equal(cut.embeddings[0].length, dims);
let tooLong = null;
try {
  await ollama.embed({ model, input: long, truncate: false });
} catch (e) {
  tooLong = e;
}
assert.ok(tooLong && tooLong.status_code === 413, `truncate:false refuses a long input, got ${tooLong}`);
const legacy = await ollama.embeddings({ model, prompt: "The sea is calm tonight." });
const legacyNorm = norm(legacy.embedding);
assert.ok(close(legacy.embedding.map((x) => x / legacyNorm), embed.embeddings[0], 1e-5), "the legacy route is the same vector, unnormalized");

console.log(JSON.stringify({ model, dims, promptTokens: single.usage.prompt_tokens, cutTokens: cut.prompt_eval_count,
  legacyNorm, first: single.data[0].embedding.slice(0, 4) }));
