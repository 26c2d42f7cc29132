// The endpoint the runtime uses: QUIC and the portable transport together, chosen per peer
// (record 0033). It listens on what this machine runs (UDP --port for QUIC, TCP --port + 1 for
// the portable one) and dials a peer over QUIC when both speak it, else over the portable one.
import {LanspreadError, isLanspreadError} from '../errors.js'
import {hostPort} from '../words/address.js'
import {type PeerTransports, type TransportName, defaultPortablePort} from '../words/transports.js'
import type {DialOptions, Endpoint, ListenAddress, PeerConnection, StreamHandler, TrafficCounters, TransportOffer} from './endpoint.js'

/** Makes a fresh endpoint of one transport (a stopped endpoint is not restarted). */
export type EndpointMaker = () => Endpoint

export interface TransportSetInit {
  quic?: EndpointMaker
  portable?: EndpointMaker
}

/** With --port 0, tries for a free UDP port whose TCP port + 1 is free too. */
const FREE_PORT_ATTEMPTS = 10

export class TransportSet implements Endpoint {
  private quic: Endpoint | undefined
  private portable: Endpoint | undefined
  private base: ListenAddress | undefined
  private readonly listeners = new Set<(connection: PeerConnection) => void>()
  private streamHandler: StreamHandler | undefined
  /** What worked last at a static address (host:port): dialled first next time. */
  private readonly learned = new Map<string, TransportName>()
  /** Every endpoint made, stopped ones too, so traffic() counts what they moved. */
  private readonly made: Endpoint[] = []

  constructor(private readonly init: TransportSetInit) {
    if (!init.quic && !init.portable) throw new LanspreadError('internal', 'a transport set needs at least one transport')
  }

  /** The transports this set runs (after start) or will run. */
  names(): TransportName[] {
    return [...(this.init.quic ? (['quic'] as const) : []), ...(this.init.portable ? (['portable'] as const) : [])]
  }

  async start({host, port}: ListenAddress): Promise<ListenAddress> {
    if (this.base) throw new LanspreadError('internal', 'the transport set is already started')
    const attempts = port === 0 && this.init.quic && this.init.portable ? FREE_PORT_ATTEMPTS : 1
    for (let attempt = 1; ; attempt++) {
      try {
        this.base = await this.startOnce(host, port)
        return this.address()
      } catch (error) {
        await this.stop()
        if (attempt >= attempts || !isLanspreadError(error, 'address_unavailable')) throw error
      }
    }
  }

  private async startOnce(host: string, port: number): Promise<ListenAddress> {
    if (this.init.quic) {
      const quic = (this.quic = this.wire(this.init.quic()))
      const bound = await quic.start({host, port})
      if (this.init.portable) await this.startPortable(host, portableOf(bound.port))
      return bound
    }
    // Portable only: the peer's address keeps meaning "--port", the portable transport taking --port + 1.
    const bound = await this.startPortable(host, port === 0 ? 0 : portableOf(port))
    return {host: bound.host, port: port === 0 ? bound.port - 1 : port}
  }

  private startPortable(host: string, port: number): Promise<ListenAddress> {
    const portable = (this.portable = this.wire(this.init.portable!()))
    return portable.start({host, port})
  }

  private wire(endpoint: Endpoint): Endpoint {
    this.made.push(endpoint)
    if (this.streamHandler) endpoint.onStream(this.streamHandler)
    endpoint.on('connection', (connection) => {
      for (const listener of this.listeners) listener(connection)
    })
    return endpoint
  }

  address(): ListenAddress {
    if (!this.base) throw new LanspreadError('internal', 'the transport set is not started')
    return {...this.base}
  }

  offer(): TransportOffer {
    const portablePort = this.portable?.offer().portable_port
    return {transports: this.names(), ...(portablePort === undefined ? {} : {portable_port: portablePort})}
  }

  on(_event: 'connection', listener: (connection: PeerConnection) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onStream(handler: StreamHandler): void {
    this.streamHandler = handler
    this.quic?.onStream(handler)
    this.portable?.onStream(handler)
  }

  connections(): PeerConnection[] {
    return [...(this.quic?.connections() ?? []), ...(this.portable?.connections() ?? [])]
  }

  traffic(): TrafficCounters {
    const parts = this.made.map((endpoint) => endpoint.traffic())
    return {
      bytes_in: sum(parts, 'bytes_in'),
      bytes_out: sum(parts, 'bytes_out'),
      datagrams_in: sum(parts, 'datagrams_in'),
      datagrams_out: sum(parts, 'datagrams_out'),
    }
  }

  /** Dials over the transport both ends speak; a static address (nothing known) tries QUIC, then portable. */
  async dial(host: string, port: number, options: DialOptions = {}): Promise<PeerConnection> {
    const plan = this.plan(hostPort(host, port), port, options.peer)
    if (plan.length === 0) {
      throw new LanspreadError(
        'io',
        `peer at ${hostPort(host, port)} speaks ${options.peer?.transports.join(', ') || 'no transport'}, this peer ${this.names().join(', ')}`,
        {
          hint: 'serve --transport auto on both machines lets them meet over the portable transport',
        },
      )
    }
    let failure: unknown
    for (const step of plan) {
      try {
        const connection = await step.endpoint.dial(host, step.port, options)
        if (!options.peer) this.learned.set(hostPort(host, port), step.name)
        return connection
      } catch (error) {
        failure = error
        if (options.signal?.aborted) break
      }
    }
    throw failure
  }

  private plan(key: string, port: number, peer: PeerTransports | undefined): {name: TransportName; endpoint: Endpoint; port: number}[] {
    const steps: {name: TransportName; endpoint: Endpoint; port: number}[] = []
    const speaks = (name: TransportName): boolean => peer === undefined || peer.transports.includes(name)
    if (this.quic && speaks('quic')) steps.push({name: 'quic', endpoint: this.quic, port})
    if (this.portable && speaks('portable')) steps.push({name: 'portable', endpoint: this.portable, port: peer?.portable_port ?? portableOf(port)})
    // Both are wanted when a peer is known; QUIC first. For a static address, what worked there before.
    if (peer === undefined && this.learned.get(key) === 'portable') steps.reverse()
    return peer === undefined ? steps : steps.slice(0, 1)
  }

  async stop(): Promise<void> {
    const running = [this.quic, this.portable]
    this.quic = undefined
    this.portable = undefined
    await Promise.all(running.map((endpoint) => endpoint?.stop()))
  }
}

function portableOf(port: number): number {
  const portable = defaultPortablePort(port)
  if (portable > 65535) {
    throw new LanspreadError('invalid_input', `--port ${port} leaves no TCP port for the portable transport (it takes --port + 1)`, {
      hint: 'choose a --port below 65535',
    })
  }
  return portable
}

function sum(parts: TrafficCounters[], key: keyof TrafficCounters): number {
  return parts.reduce((total, part) => total + part[key], 0)
}
