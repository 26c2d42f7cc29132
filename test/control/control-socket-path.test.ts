import {describe, expect, it} from 'vitest'
import {controlSocketPath as ofPaths} from '../../src/control/attach.js'
import {CONTROL_SOCKET_NAME, controlSocketPath, isNamedPipe} from '../../src/control/control-socket-path.js'

describe('the control socket path (record 0035)', () => {
  it('is control.sock in the state folder on linux and macOS: a Unix socket', () => {
    expect(controlSocketPath('/home/ana/games/.lanspread', 'linux')).toBe(`/home/ana/games/.lanspread/${CONTROL_SOCKET_NAME}`)
    expect(controlSocketPath('/Users/ana/games/.lanspread', 'darwin')).toBe('/Users/ana/games/.lanspread/control.sock')
    expect(isNamedPipe(controlSocketPath('/games/.lanspread', 'linux'))).toBe(false)
  })

  it('is a named pipe on win32, one per state folder', () => {
    const pipe = controlSocketPath('C:\\games\\.lanspread', 'win32')
    expect(pipe).toMatch(/^\\\\\.\\pipe\\lanspread-[0-9a-f]{16}$/)
    expect(isNamedPipe(pipe)).toBe(true)
    expect(controlSocketPath('D:\\games\\.lanspread', 'win32')).not.toBe(pipe)
    expect(controlSocketPath('C:\\games\\other-state', 'win32')).not.toBe(pipe)
  })

  it('names one pipe for every spelling of one Windows folder', () => {
    const pipe = controlSocketPath('C:\\games\\.lanspread', 'win32')
    expect(controlSocketPath('c:\\GAMES\\.Lanspread\\', 'win32')).toBe(pipe)
    expect(controlSocketPath('C:/games/.lanspread', 'win32')).toBe(pipe)
    expect(controlSocketPath('C:\\games\\x\\..\\.lanspread', 'win32')).toBe(pipe)
  })

  it('is what a command attaches to, from the resolved paths', () => {
    expect(ofPaths({stateDir: 'C:\\games\\.lanspread'}, 'win32')).toBe(controlSocketPath('C:\\games\\.lanspread', 'win32'))
    expect(ofPaths({stateDir: '/g/.lanspread'}, 'linux')).toBe('/g/.lanspread/control.sock')
  })
})
