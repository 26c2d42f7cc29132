import {describe, expect, it} from 'vitest'
import {isLanspreadError} from '../../src/errors.js'
import type {Message} from '../../src/protocol/messages.js'
import {type AnswerChannel, type FramedReply, type RequestChannel, answerOne, ask, tell} from '../../src/transport/framed-request.js'

/** An asking end whose other side answers with `replies` in turn (undefined: it ended without one). */
function requestChannel(...replies: (Message | undefined | Promise<Message | undefined>)[]): RequestChannel & {sent: Message[]} {
  const sent: Message[] = []
  return {
    sent,
    send: async (request) => void sent.push(request),
    receive: async () => replies.shift(),
  }
}

/** An answering end that receives `requests` in turn and records what it wrote. */
function answerChannel(...requests: (Message | undefined | Error)[]): AnswerChannel & {log: string[]} {
  const log: string[] = []
  return {
    log,
    receive: async () => {
      const next = requests.shift()
      if (next instanceof Error) throw next
      return next
    },
    send: async (answer) => void log.push(`send ${answer?.reply.type ?? 'nothing'}${answer?.raw ? ` +${answer.raw.length}` : ''}`),
    end: async () => void log.push('end'),
    refuse: async (error) => void log.push(`refuse ${(error as Error).message}`),
  }
}

const CHUNK: Message = {type: 'ChunkHeader', hash: 'a'.repeat(64), length: 4}

describe('ask', () => {
  it('writes the request and returns the reply', async () => {
    const channel = requestChannel({type: 'Pong'})
    expect(await ask(channel, {type: 'Ping'}, {peer: 'p'})).toEqual({type: 'Pong'})
    expect(channel.sent).toEqual([{type: 'Ping'}])
  })

  it("throws an Error reply as the peer's refusal, or returns it when the caller takes it", async () => {
    const refusal: Message = {type: 'Error', code: 'busy', message: 'later'}
    const thrown = await ask(requestChannel(refusal), {type: 'Ping'}, {peer: 'p'}).catch((error: unknown) => error)
    expect(isLanspreadError(thrown, 'busy')).toBe(true)
    expect(await ask(requestChannel(refusal), {type: 'Ping'}, {peer: 'p', expect: ['Pong', 'Error']})).toEqual(refusal)
  })

  it('calls a reply of another type, or none, a protocol violation', async () => {
    await expect(ask(requestChannel({type: 'Pong'}), {type: 'Ping'}, {peer: 'p', expect: ['ChunkHeader', 'Error']})).rejects.toThrow(
      /peer p sent an invalid frame: expected ChunkHeader, got Pong/,
    )
    await expect(ask(requestChannel(undefined), {type: 'Ping'}, {peer: 'p'})).rejects.toThrow(/closed the stream without answering Ping/)
  })

  it('bounds the exchange when asked, and stops the abandoned work', async () => {
    let stopped = false
    const never = new Promise<Message | undefined>(() => {})
    await expect(ask(requestChannel(never), {type: 'Ping'}, {peer: 'p', timeoutMs: 20, what: 'a ping', onTimeout: () => (stopped = true)})).rejects.toThrow(
      /a ping timed out after 20 ms/,
    )
    expect(stopped).toBe(true)
  })
})

describe('tell', () => {
  it('resolves once the other end ended, and throws the Error it answered with', async () => {
    await tell(requestChannel(undefined), {type: 'Goodbye', peer_id: 'me'}, {peer: 'p'})
    await expect(tell(requestChannel({type: 'Error', code: 'bad_request', message: 'no'}), {type: 'Ping'}, {peer: 'p'})).rejects.toThrow(/peer p answered/)
  })
})

describe('answerOne', () => {
  it('answers a request, with raw bytes, and releases them once written', async () => {
    const channel = answerChannel({type: 'Ping'})
    let released = 0
    const reply: FramedReply = {reply: CHUNK, raw: new Uint8Array(4), release: () => released++}
    expect(await answerOne(channel, async () => reply)).toEqual({answered: {type: 'Ping'}})
    expect(channel.log).toEqual(['send ChunkHeader +4'])
    expect(released).toBe(1)
  })

  it('takes a bare message as the reply, and undefined as a push that gets none', async () => {
    const channel = answerChannel({type: 'Ping'}, {type: 'Goodbye', peer_id: 'x'})
    await answerOne(channel, async () => ({type: 'Pong'}))
    await answerOne(channel, async () => undefined)
    expect(channel.log).toEqual(['send Pong', 'send nothing'])
  })

  it('ends when the other end sent nothing', async () => {
    const channel = answerChannel(undefined)
    expect(await answerOne(channel, async () => ({type: 'Pong'}))).toEqual({ended: true})
    expect(channel.log).toEqual(['end'])
  })

  it('refuses a request it cannot read or serve, with the error', async () => {
    const unreadable = answerChannel(new Error('bad frame'))
    const outcome = await answerOne(unreadable, async () => ({type: 'Pong'}))
    expect(outcome).toMatchObject({refused: {message: 'bad frame'}})
    expect(unreadable.log).toEqual(['refuse bad frame'])
    const failing = answerChannel({type: 'Ping'})
    await answerOne(failing, () => Promise.reject(new Error('not served')))
    expect(failing.log).toEqual(['refuse not served'])
  })

  it('releases the reply even when writing it fails', async () => {
    let released = 0
    const channel: AnswerChannel = {...answerChannel({type: 'Ping'}), send: () => Promise.reject(new Error('reset'))}
    await expect(answerOne(channel, async () => ({reply: CHUNK, raw: new Uint8Array(4), release: () => released++}))).rejects.toThrow('reset')
    expect(released).toBe(1)
  })
})
