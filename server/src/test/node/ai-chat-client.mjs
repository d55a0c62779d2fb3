// The client from a published "continue conversation" API doc, unchanged but for the class around it:
// it POSTs {id, messages, boxAddress} to /api/ai/chat and reads the server-sent events, appending the
// textDelta of every 'text-delta' part. Two turns of one conversation.
import assert from "node:assert/strict";

const box = process.argv[2];
const apiKey = process.env.PARLEY_KEY;

class Conversation {
  constructor() {
    this.id = crypto.randomUUID();
    this.messages = [];
  }

  async send(text) {
    this.messages.push({ role: "user", content: text });
    const response = await fetch(`${box}/api/ai/chat`, { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ id: this.id, messages: this.messages, boxAddress: box }) });
    // reads the body as server-sent events; for each line 'data: {...}' with type 'text-delta' it appends data.textDelta
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let answer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.startsWith("data: ")) {
          const data = JSON.parse(line.slice(6));
          if (data.type === "text-delta") answer += data.textDelta;
        }
      }
    }
    this.messages.push({ role: "assistant", content: answer });
    return { answer, status: response.status, session: response.headers.get("x-session-id") };
  }
}

const conversation = new Conversation();
const first = await conversation.send("Hello, who are you?");
assert.equal(first.status, 200);
assert.ok(first.answer.length > 0, "the client reads a non-empty answer");
assert.equal(first.session, conversation.id, "the conversation id comes back as the affinity key");
const second = await conversation.send("Tell me more.");
assert.equal(second.status, 200);
assert.ok(second.answer.length > 0);
assert.equal(conversation.messages.length, 4);
console.log(`ai/chat client: ok (${JSON.stringify(first.answer.slice(0, 40))}...)`);
