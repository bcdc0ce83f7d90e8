// Hocuspocus (npm @hocuspocus/server), the reference server `bench compare` measures
// Minutebook against: in memory (no storage extension), listening on 127.0.0.1 only.
// Usage: node hocuspocus-server.mjs [port] (0 or none: any free port). Every document
// must be authenticated with the token in $HOCUSPOCUS_TOKEN (default "bench"), as a real
// deployment would check one; nothing else is configured. Prints
// `Hocuspocus is running at http://127.0.0.1:PORT/` once listening; stops on SIGTERM.
import { Server } from '@hocuspocus/server'

const port = Number.parseInt(process.argv[2] ?? '0', 10)
const token = process.env.HOCUSPOCUS_TOKEN ?? 'bench'

const server = new Server({
  address: '127.0.0.1',
  port,
  quiet: true,
  async onAuthenticate (data) {
    if (data.token !== token) {
      throw new Error('bad token')
    }
  }
})

await server.listen()
console.log(`Hocuspocus is running at http://127.0.0.1:${server.address.port}/`)
