import {describe, expect, it} from 'vitest'
import {formatAddress, hostPort} from '../../src/words/address.js'

describe('the one address formatter', () => {
  it('writes host:port, an IPv6 host in brackets', () => {
    expect(hostPort('192.168.1.5', 7777)).toBe('192.168.1.5:7777')
    expect(hostPort('fe80::1%eth0', 7777)).toBe('[fe80::1%eth0]:7777')
    expect(formatAddress({host: '::1', port: 1})).toBe('[::1]:1')
  })
})
