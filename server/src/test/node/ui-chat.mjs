// The AI SDK's own chat client pieces (what useChat uses): DefaultChatTransport posts the UI messages to
// /api/v1/ui-chat and parses the UI message stream; readUIMessageStream assembles the assistant message.
// A grammar (sent through the transport's body option) makes the tiny model think, then answer.
import assert from "node:assert/strict";
import { DefaultChatTransport, readUIMessageStream } from "ai";

const base = process.argv[2];
const transport = new DefaultChatTransport({
  api: `${base}/api/v1/ui-chat`,
  headers: { "x-api-key": process.env.PARLEY_KEY },
  body: { grammar: 'root ::= "<think>\\nhmm\\n</think>\\n\\nAnswer."', max_tokens: 40, temperature: 0 },
});

async function turn(messages) {
  const stream = await transport.sendMessages({ chatId: "chat-ui-1", messages, trigger: "submit-message", messageId: undefined,
    abortSignal: undefined });
  let message;
  for await (const m of readUIMessageStream({ stream, terminateOnError: true })) message = m;
  return message;
}

const messages = [{ id: "u1", role: "user", parts: [{ type: "text", text: "Think first, then answer." }] }];
const reply = await turn(messages);
assert.equal(reply.role, "assistant");
assert.deepEqual(reply.parts.map((p) => p.type), ["step-start", "reasoning", "text"]);
assert.equal(reply.parts[1].text, "\nhmm\n");
assert.equal(reply.parts[1].state, "done");
assert.equal(reply.parts[2].text, "\n\nAnswer.");
assert.equal(reply.parts[2].state, "done");
assert.ok(reply.metadata.usage.outputTokens > 0, "usage arrives as message metadata");

// The next turn sends the assistant message back with its parts, as useChat does.
messages.push(reply, { id: "u2", role: "user", parts: [{ type: "text", text: "Again." }] });
const again = await turn(messages);
assert.equal(again.parts.filter((p) => p.type === "text").map((p) => p.text).join(""), "\n\nAnswer.");

// Bad input comes back as the stream's error part, which the transport reports.
await assert.rejects(
  transport.sendMessages({ chatId: "chat-ui-1", trigger: "submit-message", messageId: undefined, abortSignal: undefined,
    messages: [{ id: "u1", role: "user", parts: [{ type: "file", mediaType: "image/png", url: "data:," }] }] }),
  (e) => JSON.parse(e.message).errorText.includes("only text, reasoning and step-start parts"));
console.log(`ui-chat: ok (${reply.parts.length} parts, ${reply.metadata.usage.outputTokens} output tokens)`);
