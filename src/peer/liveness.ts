// Liveness (SPEC §4.4): any message moves a peer's last_seen; a peer quiet for the ping
// interval gets a Ping, and one silent past the stale timeout is removed. One tick at a time
// looks at the whole table, so the cost is one timer, not one per peer.
import {errorMessage} from '../errors.js'
import type {PeerSessions} from './peer-sessions.js'
import type {PeerTable} from './peer-table.js'
import type {RuntimeSettings} from './settings.js'

export interface LivenessComponents {
  table: PeerTable
  sessions: PeerSessions
  settings: RuntimeSettings
  now: () => number
  log: (level: 'info' | 'warn', message: string) => void
}

export class Liveness {
  private readonly pinging = new Set<string>()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly components: LivenessComponents) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.components.settings.livenessTickMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  tick(): void {
    const {table, sessions, settings, now} = this.components
    for (const record of table.records()) {
      const quiet = now() - record.last_seen
      if (quiet >= settings.staleAfterMs) {
        table.remove(record.peer_id, 'stale')
        void sessions.drop(record.peer_id)
        continue
      }
      if (quiet < settings.pingAfterMs || this.pinging.has(record.peer_id)) continue
      this.pinging.add(record.peer_id)
      void sessions
        .ping(record.peer_id)
        .catch((error: unknown) => this.components.log('info', `peer ${record.peer_id} did not answer a ping: ${errorMessage(error)}`))
        .finally(() => this.pinging.delete(record.peer_id))
    }
  }
}
