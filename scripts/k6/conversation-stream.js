// Load on Parley's streaming conversation endpoint (POST /api/v1/continue_from_conversation_history).
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=... scripts/k6/conversation-stream.js
//
// Virtual users ramp up, each running multi-turn conversations: every turn sends the whole history so
// far plus a new message, as the API expects. k6 reads a response whole, so the time to first token
// is taken as the time to first byte (Parley flushes each token line at once). Thresholds fail the run
// when p95 TTFT or the error rate is too high; the summary reports generated tokens per second.
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const MAX_TOKENS = Number(__ENV.MAX_TOKENS || 64);
const TURNS = Number(__ENV.TURNS || 4);

const ttft = new Trend('parley_ttft', true);
const tokens = new Counter('parley_tokens');
const errors = new Rate('parley_errors');

export const options = {
  scenarios: {
    conversations: {
      executor: 'ramping-vus',
      startVUs: 1,
      stages: [
        { duration: __ENV.RAMP || '30s', target: Number(__ENV.VUS || 16) },
        { duration: __ENV.HOLD || '1m', target: Number(__ENV.VUS || 16) },
        { duration: '15s', target: 0 },
      ],
    },
  },
  thresholds: {
    parley_ttft: [`p(95)<${__ENV.TTFT_P95_MS || 2000}`],
    parley_errors: ['rate<0.01'],
  },
};

const TOPICS = ['the weather', 'a recipe', 'a trip', 'a book', 'a poem', 'the news', 'a game', 'music'];

function headers() {
  const h = { 'Content-Type': 'application/json', 'X-Request-Id': `k6-${__VU}-${__ITER}-${Date.now()}` };
  if (__ENV.API_KEY) {
    h.Authorization = `Bearer ${__ENV.API_KEY}`;
  }
  return h;
}

export default function () {
  const history = [{ role: 'system', content: 'You are a helpful assistant.' }];
  for (let turn = 0; turn < TURNS; turn++) {
    history.push({ role: 'user', content: `Tell me about ${TOPICS[(__VU + turn) % TOPICS.length]}, part ${turn + 1}.` });
    const res = http.post(`${BASE_URL}/api/v1/continue_from_conversation_history`,
      JSON.stringify({ add_generation_prompt: true, max_tokens: MAX_TOKENS, conversation_history: history }),
      { headers: headers(), timeout: '120s' });
    const lines = res.body ? res.body.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l)) : [];
    const last = lines[lines.length - 1];
    const ok = check(res, {
      'status 200': (r) => r.status === 200,
      'ends with Done': () => last && last.Response && last.Response.response.GeneratedToken.generated_token_result === 'Done',
    });
    errors.add(!ok);
    if (!ok) {
      return;
    }
    ttft.add(res.timings.waiting);
    let reply = '';
    for (const line of lines) {
      const result = line.Response.response.GeneratedToken.generated_token_result;
      if (typeof result === 'object') {
        reply += result.Token;
        tokens.add(1);
      }
    }
    history.push({ role: 'assistant', content: reply });
  }
}

export function handleSummary(data) {
  const seconds = data.state.testRunDurationMs / 1000;
  const generated = data.metrics.parley_tokens ? data.metrics.parley_tokens.values.count : 0;
  const p95 = data.metrics.parley_ttft ? data.metrics.parley_ttft.values['p(95)'] : 0;
  const text = `Parley conversation load: ${generated} tokens in ${seconds.toFixed(1)} s = ${(generated / seconds).toFixed(1)} tokens/s; `
    + `TTFT p95 ${p95.toFixed(0)} ms; error rate ${(data.metrics.parley_errors ? data.metrics.parley_errors.values.rate * 100 : 0).toFixed(2)}%\n`;
  return { stdout: text, 'k6-summary.json': JSON.stringify(data, null, 2) };
}
