// An unmodified y-websocket client (the JavaScript reference implementation) syncing with
// the Minutebook server. Usage: node y-websocket-peer.mjs <ws://host:port> <doc> <expect>
// Two providers join <doc>, each types a line, and both wait until their text holds both
// lines and <expect> (written by the Rust test). Each one's awareness must reach the other,
// stamped by the server with the verified name of the session (`$MINUTEBOOK_NAME`): as
// `verified.name` and as `user.name`, whatever name the client chose.
// Prints one JSON line with the result; exits non-zero on timeout. With a session token in
// $MINUTEBOOK_SESSION every WebSocket upgrade carries `Authorization: Bearer <token>`: y-websocket
// constructs its WebSocketPolyfill as `new WS(url, protocols)`, so a subclass of `ws`'s
// WebSocket adds the header (the `ws` package takes request headers as an option).
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const [server, room, expect] = process.argv.slice(2)
const token = process.env.MINUTEBOOK_SESSION
const verifiedName = process.env.MINUTEBOOK_NAME

class AuthenticatedWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols, token ? { headers: { Authorization: `Bearer ${token}` } } : {})
  }
}
const deadline = setTimeout(() => {
  console.error(`timed out; texts: ${JSON.stringify(peers.map(p => p.text.toString()))}`)
  process.exit(1)
}, 20000)

const peers = [1, 2].map(n => {
  const doc = new Y.Doc()
  // disableBc: both providers live in this process, and everything must go through the
  // server (a BroadcastChannel would hand peer 2 peer 1's state without the server's stamp).
  const provider = new WebsocketProvider(`${server}/ws`, room, doc, { WebSocketPolyfill: AuthenticatedWebSocket, disableBc: true })
  provider.awareness.setLocalStateField('user', { name: `js-${n}` })
  return { n, doc, provider, text: doc.getText('text') }
})

const synced = p => new Promise(resolve => {
  if (p.provider.synced) resolve()
  else p.provider.once('sync', s => s && resolve())
})
await Promise.all(peers.map(synced))
for (const p of peers) p.text.insert(p.text.length, `from-js-${p.n}\n`)

// What peer `a` holds for peer `b`'s awareness client (undefined until it arrives).
const seen = (a, b) => peers[a].provider.awareness.getStates().get(peers[b].doc.clientID)
const stamped = s => s?.verified?.name === verifiedName && s?.user?.name === verifiedName
const done = () => peers.every(p => {
  const t = p.text.toString()
  return t.includes('from-js-1') && t.includes('from-js-2') && t.includes(expect)
}) && stamped(seen(0, 1)) && stamped(seen(1, 0))

await new Promise(resolve => {
  const check = () => done() && resolve()
  for (const p of peers) {
    p.doc.on('update', check)
    p.provider.awareness.on('change', check)
  }
  check()
})
clearTimeout(deadline)
// The states each peer holds for the other, as received (the Rust test checks them).
console.log(JSON.stringify({
  text: peers[0].text.toString(),
  awareness: { peer1_sees_peer2: seen(0, 1), peer2_sees_peer1: seen(1, 0) }
}))
for (const p of peers) p.provider.destroy()
process.exit(0)
