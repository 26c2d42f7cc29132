import {describe, expect, it} from 'vitest'
import {chooseInterfaces} from '../../src/discovery/interfaces.js'
import {decodeTxt, encodeTxt, txtTransports} from '../../src/discovery/txt-record.js'

const FIELDS = {
  peer_id: '11111111-1111-4111-8111-111111111111',
  proto_ver: 1,
  library_rev: 12,
  library_epoch: 'ep-1',
  library_digest: 'a'.repeat(64),
  game_count: 3,
  hostname: 'lan-7',
  cert: 'b'.repeat(64),
}

describe('TXT record', () => {
  it('round-trips through key=value strings', () => {
    expect(decodeTxt(encodeTxt(FIELDS))).toEqual(FIELDS)
  })

  it('carries the transports a peer serves; a record without them is an older peer, QUIC only (record 0033)', () => {
    const withTransports = {...FIELDS, transports: ['quic' as const, 'portable' as const], portable_port: 4871}
    expect(decodeTxt(encodeTxt(withTransports))).toEqual(withTransports)
    expect(txtTransports(decodeTxt(encodeTxt(withTransports))!)).toEqual({transports: ['quic', 'portable'], portable_port: 4871})
    expect(txtTransports(decodeTxt(encodeTxt(FIELDS))!)).toEqual({transports: ['quic']})
    // A name this build does not know is dropped, not a reason to refuse the record.
    const strings = encodeTxt(FIELDS).map(String)
    expect(decodeTxt([...strings, 'transports=portable,carrier-pigeon'])?.transports).toEqual(['portable'])
  })

  it('refuses what is not a lanspread record: missing keys, wrong types, bad hashes', () => {
    const strings = encodeTxt(FIELDS).map(String)
    expect(decodeTxt(strings.filter((s) => !s.startsWith('cert=')))).toBeUndefined()
    expect(decodeTxt(strings.map((s) => (s.startsWith('library_rev=') ? 'library_rev=-1' : s)))).toBeUndefined()
    expect(decodeTxt(strings.map((s) => (s.startsWith('cert=') ? 'cert=xyz' : s)))).toBeUndefined()
    expect(decodeTxt(strings.map((s) => (s.startsWith('proto_ver=') ? 'proto_ver=abc' : s)))).toBeUndefined()
    expect(decodeTxt(undefined)).toBeUndefined()
    expect(decodeTxt([{}])).toBeUndefined()
  })

  it('gives the same verdict for a record heard again, unspoiled by what a caller did with the last one', () => {
    const strings = encodeTxt(FIELDS)
    const first = decodeTxt(strings)!
    first.library_rev = 999
    expect(decodeTxt(strings)).toEqual(FIELDS)
    const bad = encodeTxt(FIELDS).map((b) => (String(b).startsWith('cert=') ? Buffer.from('cert=xyz') : b))
    expect(decodeTxt(bad)).toBeUndefined()
    expect(decodeTxt(bad)).toBeUndefined()
  })

  it('tells apart records whose strings only differ in where they split', () => {
    const strings = encodeTxt(FIELDS).map(String)
    expect(decodeTxt(strings)).toEqual(FIELDS)
    // The same characters joined into one string are one key=value pair: not a valid record.
    expect(decodeTxt([strings.join('')])).toBeUndefined()
  })

  it('stays correct past its memory of recent records (thousands of distinct peers)', () => {
    for (let rev = 0; rev < 2000; rev++) expect(decodeTxt(encodeTxt({...FIELDS, library_rev: rev}))?.library_rev).toBe(rev)
    expect(decodeTxt(encodeTxt(FIELDS))).toEqual(FIELDS)
  })

  it('checks an oversized record every time rather than keeping it', () => {
    const padded = [...encodeTxt(FIELDS).map(String), `padding=${'x'.repeat(3000)}`]
    expect(decodeTxt(padded)).toEqual(FIELDS)
    expect(decodeTxt(padded)).toEqual(FIELDS)
    expect(decodeTxt([...padded.slice(0, -1).filter((s) => !s.startsWith('cert=')), padded.at(-1)!])).toBeUndefined()
  })

  it('keeps the first value of a repeated key (RFC 6763 §6.4)', () => {
    const strings = encodeTxt(FIELDS).map(String)
    expect(decodeTxt([...strings, 'library_rev=99'])?.library_rev).toBe(12)
  })
})

describe('interface choice', () => {
  const networks = {
    lo: [{address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '', internal: true, cidr: null}],
    eth0: [
      {address: '192.168.1.5', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null},
      {address: 'fe80::1', netmask: 'ffff::', family: 'IPv6' as const, mac: '', internal: false, cidr: null, scopeid: 2},
    ],
    eth1: [{address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: null}],
  }

  it('defaults to every non-internal IPv4 interface, each with its IPv6 addresses (for AAAA)', () => {
    expect(chooseInterfaces([], networks)).toEqual([
      {name: 'eth0', address: '192.168.1.5', addresses6: ['fe80::1']},
      {name: 'eth1', address: '10.0.0.5'},
    ])
  })

  it('takes names and addresses, loopback included when asked', () => {
    expect(chooseInterfaces(['eth1', '127.0.0.1'], networks)).toEqual([
      {name: 'eth1', address: '10.0.0.5'},
      {name: 'lo', address: '127.0.0.1'},
    ])
  })

  it('refuses an unknown interface, listing the ones there are', () => {
    expect(() => chooseInterfaces(['wlan9'], networks)).toThrow(
      expect.objectContaining({code: 'usage', message: expect.stringContaining('--interface wlan9'), hint: expect.stringContaining('eth0 (192.168.1.5)')}),
    )
  })
})
