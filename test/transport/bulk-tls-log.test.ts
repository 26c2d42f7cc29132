// The bulk server's log names the client's address even when the client is gone by the time
// the line is written (it said "refused undefined" / "from undefined" before).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Identities, makeIdentities, rawTlsClient, startBulkServer} from '../helpers/bulk-tls.js'

let ids: Identities
beforeAll(async () => {
  ids = await makeIdentities()
})
afterAll(() => ids.cleanup())

describe('bulk TLS server log', () => {
  it('names the address of a refused client that already hung up', async () => {
    let identified!: () => void
    const asked = new Promise<void>((resolve) => (identified = resolve))
    const bulk = await startBulkServer(ids, {
      identify: async () => {
        identified()
        // The client hangs up while its certificate is looked up.
        await new Promise((resolve) => setTimeout(resolve, 300))
        return undefined
      },
    })
    const socket = await rawTlsClient(bulk.port, {identity: ids.stranger})
    await asked
    socket.destroy()
    for (let i = 0; i < 100 && !bulk.logs.some((line) => line.includes('refused')); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    const refused = bulk.logs.find((line) => line.includes('refused'))
    expect(refused).toMatch(/bulk TLS: refused 127\.0\.0\.1, whose certificate/)
    expect(bulk.logs.join('\n')).not.toContain('undefined')
  })
})
