// Load on Parley's threads API: each iteration creates a thread, continues it for a few turns by
// sending only the new message (non-streaming, so the reply carries usage), reads it back, deletes it.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e API_KEY=... scripts/k6/threads.js
import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const TURNS = Number(__ENV.TURNS || 3);
const MAX_TOKENS = Number(__ENV.MAX_TOKENS || 48);

const turnTime = new Trend('parley_turn_duration', true);
const cachedShare = new Trend('parley_cached_prompt_share');
const tokens = new Counter('parley_tokens');
const errors = new Rate('parley_errors');

export const options = {
  scenarios: {
    threads: {
      executor: 'ramping-vus',
      startVUs: 1,
      stages: [
        { duration: __ENV.RAMP || '30s', target: Number(__ENV.VUS || 8) },
        { duration: __ENV.HOLD || '1m', target: Number(__ENV.VUS || 8) },
        { duration: '15s', target: 0 },
      ],
    },
  },
  thresholds: {
    parley_errors: ['rate<0.01'],
    parley_turn_duration: [`p(95)<${__ENV.TURN_P95_MS || 10000}`],
  },
};

function params() {
  const h = { 'Content-Type': 'application/json' };
  if (__ENV.API_KEY) {
    h.Authorization = `Bearer ${__ENV.API_KEY}`;
  }
  return { headers: h, timeout: '120s' };
}

export default function () {
  const created = http.post(`${BASE_URL}/api/v1/conversations`,
    JSON.stringify({ title: `k6 ${__VU}/${__ITER}`, system_prompt: 'You are concise.' }), params());
  if (!check(created, { 'created 201': (r) => r.status === 201 })) {
    errors.add(true);
    return;
  }
  const id = created.json('id');
  for (let turn = 0; turn < TURNS; turn++) {
    const res = http.post(`${BASE_URL}/api/v1/conversations/${id}/messages`,
      JSON.stringify({ prompt: `Question ${turn + 1}: what comes next?`, stream: false, max_tokens: MAX_TOKENS }), params());
    const ok = check(res, { 'reply 200': (r) => r.status === 200, 'stored': (r) => r.status === 200 && r.json('message_id') !== null });
    errors.add(!ok);
    if (!ok) {
      break;
    }
    turnTime.add(res.timings.duration);
    const usage = res.json('usage');
    tokens.add(usage.completion_tokens);
    if (turn > 0 && usage.prompt_tokens > 0) {
      cachedShare.add(usage.cached_prompt_tokens / usage.prompt_tokens);
    }
  }
  const read = http.get(`${BASE_URL}/api/v1/conversations/${id}`, params());
  errors.add(!check(read, { 'read 200': (r) => r.status === 200 }));
  const del = http.del(`${BASE_URL}/api/v1/conversations/${id}`, null, params());
  errors.add(!check(del, { 'deleted': (r) => r.status === 200 }));
}

export function handleSummary(data) {
  const seconds = data.state.testRunDurationMs / 1000;
  const generated = data.metrics.parley_tokens ? data.metrics.parley_tokens.values.count : 0;
  const share = data.metrics.parley_cached_prompt_share ? data.metrics.parley_cached_prompt_share.values.avg : 0;
  const text = `Parley threads load: ${generated} tokens in ${seconds.toFixed(1)} s = ${(generated / seconds).toFixed(1)} tokens/s; `
    + `later turns served ${(share * 100).toFixed(0)}% of their prompt from the KV cache\n`;
  return { stdout: text, 'k6-summary.json': JSON.stringify(data, null, 2) };
}
