// What every peer endpoint (QUIC, portable) keeps alike: its live connections, who listens for
// new incoming ones, and the handler of the streams peers open.
import {errorMessage} from '../errors.js'
import type {PeerConnection, StreamHandler, TransportLog} from './endpoint.js'

export class EndpointHub<C extends PeerConnection & {readonly label: string}> {
  readonly live = new Set<C>()
  private readonly listeners = new Set<(connection: PeerConnection) => void>()
  private handler: StreamHandler | undefined

  constructor(private readonly log: TransportLog) {}

  on(listener: (connection: PeerConnection) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onStream(handler: StreamHandler): void {
    this.handler = handler
  }

  /** The handler now (read at each stream: it may be set after the connection came). */
  readonly streamHandler = (): StreamHandler | undefined => this.handler

  /** Keeps a connection in `live` until it closes. */
  keep(connection: C, closed: Promise<unknown>): void {
    this.live.add(connection)
    void closed.then(() => this.live.delete(connection))
  }

  /** Tells every listener of a new incoming connection; one that throws is logged, the others still hear of it. */
  announce(connection: C): void {
    for (const listener of this.listeners) {
      try {
        listener(connection)
      } catch (error) {
        this.log('error', `a connection listener failed for peer at ${connection.label}: ${errorMessage(error)}`)
      }
    }
  }
}
