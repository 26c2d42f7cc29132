import {describe, expect, it} from 'vitest'
import {type ConnectionFacts, chooseConnection, connectionToKeep, crossingWindowMs} from '../../src/transport/choose-connection.js'

const SMALL = '11111111-1111-4111-8111-111111111111'
const LARGE = '99999999-9999-4999-8999-999999999999'

describe('chooseConnection', () => {
  it('keeps the connection dialled by the peer with the smaller peer_id, on both ends', () => {
    // The same two connections seen from each end: the one SMALL dialled is outbound at SMALL, inbound at LARGE.
    const bySmall = {id: 'c1'}
    const byLarge = {id: 'c2'}
    const fact = (c: {id: string}, direction: ConnectionFacts['direction']): ConnectionFacts => ({...c, direction})
    const atSmall = chooseConnection(SMALL, LARGE, fact(bySmall, 'outbound'), fact(byLarge, 'inbound'))
    const atLarge = chooseConnection(LARGE, SMALL, fact(bySmall, 'inbound'), fact(byLarge, 'outbound'))
    expect(atSmall.id).toBe('c1')
    expect(atLarge.id).toBe('c1')
  })

  it('does not depend on the order of its arguments', () => {
    const a: ConnectionFacts = {id: 'x', direction: 'inbound'}
    const b: ConnectionFacts = {id: 'y', direction: 'outbound'}
    expect(chooseConnection(LARGE, SMALL, a, b)).toBe(chooseConnection(LARGE, SMALL, b, a))
    expect(chooseConnection(SMALL, LARGE, a, b)).toBe(chooseConnection(SMALL, LARGE, b, a))
  })

  it('keeps the smaller shared ID of two connections dialled by the same side, on both ends', () => {
    const out = (id: string): ConnectionFacts => ({id, direction: 'outbound'})
    const inb = (id: string): ConnectionFacts => ({id, direction: 'inbound'})
    const atDialer = chooseConnection(SMALL, LARGE, out('bb'), out('aa'))
    const atListener = chooseConnection(LARGE, SMALL, inb('aa'), inb('bb'))
    expect(atDialer.id).toBe('aa')
    expect(atListener.id).toBe('aa')
  })
})

describe('connectionToKeep', () => {
  const out: ConnectionFacts = {direction: 'outbound', id: 'b'}
  const inn: ConnectionFacts = {direction: 'inbound', id: 'a'}
  const window = crossingWindowMs(10_000)

  it('settles dials that crossed within the window the same way on both ends', () => {
    expect(window).toBe(21_000)
    expect(connectionToKeep('1', '2', {existing: inn, incoming: out, existingAgeMs: 500}, window)).toBe(out)
    // At peer 2 the connection peer 1 dialled is the inbound one: the same connection is kept.
    expect(connectionToKeep('2', '1', {existing: out, incoming: inn, existingAgeMs: 500}, window)).toBe(inn)
  })

  it('lets a new connection replace the old one when the same side dialled again, or the old one is older than the window', () => {
    const again: ConnectionFacts = {direction: 'outbound', id: 'z'}
    expect(connectionToKeep('1', '2', {existing: out, incoming: again, existingAgeMs: 10}, window)).toBe(again)
    expect(connectionToKeep('1', '2', {existing: out, incoming: inn, existingAgeMs: window + 1}, window)).toBe(inn)
  })
})
