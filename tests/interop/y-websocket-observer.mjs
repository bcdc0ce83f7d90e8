// An unmodified y-websocket client joining as a read-only member (observer or attendee).
// Usage: node y-websocket-observer.mjs <ws://host:port> <doc> <expect>
// With the session token in $MINUTEBOOK_SESSION (sent as `Authorization: Bearer`; see
// y-websocket-peer.mjs). It syncs, prints `{"synced":true}`, then tries one edit of its
// own (the server refuses it) and waits until its text holds <expect> (a live update the
// Rust test writes after reading the first line). It records the type (first byte) of
// every message the server sent: a plain Yjs client must never receive Minutebook's
// refusal message (102). Prints one JSON line with the result; exits non-zero on timeout.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const [server, room, expect] = process.argv.slice(2)
const token = process.env.MINUTEBOOK_SESSION
const types = new Set()
let closes = 0

class ObservedWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, token ? { headers: { Authorization: `Bearer ${token}` } } : {})
    this.on('message', data => {
      const bytes = new Uint8Array(data)
      if (bytes.length > 0) types.add(bytes[0])
    })
    this.on('close', () => { closes += 1 })
  }
}

const deadline = setTimeout(() => {
  console.error(`timed out; text: ${JSON.stringify(doc.getText('text').toString())}; types ${[...types]}`)
  process.exit(1)
}, 20000)

const doc = new Y.Doc()
const provider = new WebsocketProvider(`${server}/ws`, room, doc, { WebSocketPolyfill: ObservedWebSocket })
const text = doc.getText('text')
await new Promise(resolve => {
  if (provider.synced) resolve()
  else provider.once('sync', s => s && resolve())
})
console.log(JSON.stringify({ synced: true }))
// A read-only member's own edit: refused by the server, never applied, never answered
// with a message a plain client cannot read.
text.insert(0, 'observer-edit\n')
await new Promise(resolve => {
  const check = () => text.toString().includes(expect) && resolve()
  doc.on('update', check)
  check()
})
// Give any late refusal message time to arrive.
await new Promise(resolve => setTimeout(resolve, 500))
clearTimeout(deadline)
console.log(JSON.stringify({ text: text.toString(), types: [...types].sort((a, b) => a - b), closes }))
provider.destroy()
process.exit(0)
