// A child process that holds a pid lock until it is killed: "another process is busy".
import {type ResultPromise, execa} from 'execa'
import path from 'node:path'
import {REPO_ROOT} from './cli.js'

export interface LockHolder {
  child: ResultPromise
  /** Kills the holder (its lock stays on disk, as after a crash) and waits for it to exit. */
  kill(): Promise<void>
}

export async function holdLockInChild(lockFile: string, purpose = 'install'): Promise<LockHolder> {
  const module = path.join(REPO_ROOT, 'src/fs/pid-lock.ts')
  const script = `import('${module}').then(async ({PidLock}) => { await PidLock.acquire(${JSON.stringify(lockFile)}, {subject: 'test', purpose: '${purpose}'}); console.log('held'); setTimeout(() => {}, 30000) })`
  const child = execa('node', ['--import', 'tsx', '-e', script], {reject: false, timeout: 60_000})
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', () => reject(new Error('the lock holder exited before taking the lock')))
  })
  return {
    child,
    async kill() {
      child.kill('SIGKILL')
      await child
    },
  }
}
