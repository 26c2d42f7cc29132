// The one place the QUIC transport is loaded: lazily, so a machine where @matrixai/quic's native
// part is missing (Windows, macOS: record 0033) starts anyway and runs the portable transport.
// LANSPREAD_QUIC=0 makes it look missing, which is how the tests prove that path here.
import {errorMessage} from '../errors.js'
import type {Endpoint, TransportLog, TransportSettings} from './endpoint.js'
import type {Certificate} from './transport-settings.js'

export interface QuicEndpointFactory {
  create(init: {certificate: Certificate; settings?: Partial<TransportSettings>}, components: {log?: TransportLog}): Endpoint
}

/** The QUIC endpoint's constructor, or why it is not available. */
export type QuicLoad = {available: true; factory: QuicEndpointFactory} | {available: false; reason: string}

let loaded: Promise<QuicLoad> | undefined

export function loadQuic(env: NodeJS.ProcessEnv = process.env): Promise<QuicLoad> {
  if (env.LANSPREAD_QUIC === '0') return Promise.resolve({available: false, reason: 'turned off (LANSPREAD_QUIC=0)'})
  loaded ??= import('./quic.js').then(
    ({QuicEndpoint}): QuicLoad => ({available: true, factory: {create: (init, components) => new QuicEndpoint(init, components)}}),
    (error: unknown): QuicLoad => ({available: false, reason: `its native module did not load (${errorMessage(error)})`}),
  )
  return loaded
}
