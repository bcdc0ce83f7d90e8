// Opens N idle authenticated WebSockets to a Minutebook server (one meeting), waits 3 s,
// and prints the server process RSS before and after, per connection.
// Usage: node idle-connections.mjs ADDR TOKEN SERVER_PID N (run by idle-connections.sh).
import WebSocket from './node_modules/ws/index.js';
import { readFileSync } from 'node:fs';
const [addr, token, pid, n] = process.argv.slice(2);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const before = rss();
const socks = [];
let open = 0;
await new Promise((resolve) => {
  for (let i = 0; i < Number(n); i++) {
    const ws = new WebSocket(`ws://${addr}/ws/idle-doc`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => { open++; if (open === Number(n)) resolve(); });
    ws.on('error', (e) => { console.error('error', e.message); });
    socks.push(ws);
  }
});
await new Promise((r) => setTimeout(r, 3000));
const after = rss();
// Still responsive with all of them open.
const t0 = performance.now();
const health = await fetch(`http://${addr}/healthz`);
const healthz_ms = performance.now() - t0;
console.log(JSON.stringify({ n: Number(n), open, before_kib: before, after_kib: after, per_conn_kib: (after - before) / Number(n), healthz: health.status, healthz_ms }));
process.exit(0);
