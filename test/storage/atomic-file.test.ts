import { execFileSync, spawnSync } from 'node:child_process'
import fs, {
  existsSync,
  fstatSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { open } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { threadId } from 'node:worker_threads'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  acquireLock,
  asideName,
  FileAccessError,
  type FileLock,
  keepCopySync,
  LockTimeoutError,
  moveAsideSync,
  readRegularFile,
  readRegularFileSync,
  removeDeadWriters,
  replaceFile,
  replaceFileSync,
  tryLockSync,
  writeFileAtomically,
} from '../../src/storage/atomic-file.js'
import { tempDir } from '../helpers/tmp.js'
import { nextTurn } from '../helpers/tracker.js'

afterEach(() => {
  vi.useRealTimers()
})

const isLinux = process.platform === 'linux'
/** A whole second, so a file's mtimeMs set to it is exact and ages are exact too. */
const T0 = 1_800_000_000_000
const STALE_MS = 30_000

/** The pid of a process that has exited (and been reaped): no process on this host has it. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid
  if (pid === undefined) throw new Error('no child process')
  return pid
}

/** A process that runs for the whole test: the one that started this test process. */
const livePid = () => process.ppid

/** Makes `file` exactly `ageMs` old: its mtime at T0 and Date.now() at T0 + ageMs. */
function ageFile(file: string, ageMs: number): void {
  utimesSync(file, T0 / 1000, T0 / 1000)
  if (!vi.isFakeTimers()) vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T0 + ageMs)
}

/** What this process has open in `dir` (Linux), seen through /proc/self/fd. */
function openIn(dir: string): string[] {
  const real = realpathSync(dir)
  const targets: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      targets.push(readlinkSync(`/proc/self/fd/${fd}`))
    } catch {
      // closed meanwhile (the descriptor readdirSync used)
    }
  }
  return targets.filter((target) => target === real || target.startsWith(`${real}/`))
}

/** The <n> in the next unique name: every unique name (temporary file, lock try) takes one. */
function nextNameNumber(): number {
  const name = asideName('x', 't')
  const n = new RegExp(`-${process.pid}-${threadId}-(\\d+)-[0-9a-z]*$`).exec(name)?.[1]
  return Number(n)
}

/** Counts the lock attempts (each makes one temporary file, so takes one unique name). */
function attemptCounter(): () => number {
  const start = nextNameNumber()
  let reads = 0
  return () => nextNameNumber() - start - ++reads
}

/** The state of a promise, readable without awaiting it. */
function settled<T>(promise: Promise<T>): { done: boolean; value?: T; error?: unknown } {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false }
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  )
  return state
}

/** The name of the temporary file replaceFile writes, `<pid>-…-<random>.<host tag>.tmp`. */
async function ownTempSuffix(): Promise<string> {
  const dir = tempDir()
  const path = join(dir, 'probe.json')
  let names: string[] = []
  await replaceFile(path, async () => {
    names = readdirSync(dir)
  })
  const temp = names.find((name) => name.startsWith('probe.json.'))
  if (temp === undefined) throw new Error(`no temporary file in ${names.join(', ')}`)
  return temp.slice('probe.json.'.length)
}

/** An fsync asked for: of a folder or a file (its inode), and which file was at `path` then. */
interface Fsync {
  isFolder: boolean
  ino: number
  /** The inode at `path` at that moment (undefined: none), telling before a rename from after. */
  inoAtPath: number | undefined
}

/**
 * The fsyncs (`fsyncSync`, `FileHandle.sync`) asked for while `run` runs, each passed on to the
 * real call: what makes a write survive a power loss, seen from inside the process.
 */
async function fsyncsDuring(path: string, run: () => Promise<unknown>): Promise<Fsync[]> {
  const fsyncs: Fsync[] = []
  const record = (fd: number) => {
    const stats = fstatSync(fd)
    const inoAtPath = statSync(path, { throwIfNoEntry: false })?.ino
    fsyncs.push({ isFolder: stats.isDirectory(), ino: stats.ino, inoAtPath })
  }
  const probe = await open(fileURLToPath(import.meta.url), 'r')
  const handles = Object.getPrototypeOf(probe) as { sync(): Promise<void> }
  await probe.close()
  const fsyncSync = fs.fsyncSync
  const sync = handles.sync
  fs.fsyncSync = (fd) => {
    record(fd)
    fsyncSync(fd)
  }
  handles.sync = function (this: { fd: number }) {
    record(this.fd)
    return sync.call(this)
  }
  syncBuiltinESMExports() // the source's `import { fsyncSync } from 'node:fs'` sees it too
  try {
    await run()
  } finally {
    fs.fsyncSync = fsyncSync
    handles.sync = sync
    syncBuiltinESMExports()
  }
  return fsyncs
}

function writeLock(path: string, content: string | object): string {
  const lockPath = `${path}.lock`
  writeFileSync(lockPath, typeof content === 'string' ? content : JSON.stringify(content))
  return lockPath
}

function ownerOf(lockPath: string): unknown {
  return JSON.parse(readFileSync(lockPath, 'utf8'))
}

const thisProcess = () => ({
  pid: process.pid,
  threadId,
  host: hostname(),
  nonce: expect.any(String),
})

type Read = (
  path: string,
  maxBytes: number,
  knownIdentity?: string,
) => Promise<{ text: string | undefined; identity: string } | undefined>

const readers: Record<string, Read> = {
  readRegularFileSync: async (path, maxBytes) => readRegularFileSync(path, maxBytes),
  readRegularFile: (path, maxBytes, knownIdentity) =>
    readRegularFile(path, maxBytes, knownIdentity),
}

describe.each(Object.keys(readers))('%s', (name) => {
  const read = (path: string, maxBytes: number, knownIdentity?: string) =>
    (readers[name] as Read)(path, maxBytes, knownIdentity)

  it('reads a file of exactly maxBytes', async () => {
    const path = join(tempDir(), 'b.json')
    writeFileSync(path, '0123456789')
    expect((await read(path, 10))?.text).toBe('0123456789')
  })

  it('refuses a file of maxBytes + 1 with ETOOBIG, naming both sizes', async () => {
    const path = join(tempDir(), 'b.json')
    writeFileSync(path, '0123456789')
    const error = await read(path, 9).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FileAccessError)
    expect(error).toMatchObject({
      name: 'FileAccessError',
      code: 'ETOOBIG',
      message: `${path} is 10 bytes, more than maxFileBytes (9)`,
    })
  })

  it('is undefined for a file that does not exist', async () => {
    expect(await read(join(tempDir(), 'b.json'), 10)).toBeUndefined()
  })

  it('refuses a folder where the file should be with ENOTFILE', async () => {
    const path = join(tempDir(), 'b.json')
    mkdirSync(path)
    const error = await read(path, 10).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FileAccessError)
    expect(error).toMatchObject({ code: 'ENOTFILE', message: `${path} is not a regular file` })
  })

  it.skipIf(process.platform === 'win32')(
    'refuses a FIFO with ENOTFILE without waiting for a writer',
    async () => {
      const path = join(tempDir(), 'b.json')
      execFileSync('mkfifo', [path])
      await expect(read(path, 10)).rejects.toMatchObject({ code: 'ENOTFILE' })
    },
  )

  it.each([
    ['ENOTDIR', (dir: string) => writeFileSync(join(dir, 'file'), 'x'), 'file/b.json'],
    ['ELOOP', (dir: string) => symlinkSync('b.json', join(dir, 'b.json')), 'b.json'],
  ])('reports any other error opening it (%s) with its code and cause', async (code, make, at) => {
    const dir = tempDir()
    make(dir)
    const path = join(dir, at)
    const error = await read(path, 10).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FileAccessError)
    expect(error).toMatchObject({
      name: 'FileAccessError',
      code,
      message: `${path} cannot be read (${code})`,
      cause: expect.objectContaining({ code }),
    })
  })

  it.runIf(isLinux)('closes the file after reading it or refusing it', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'b.json'), '0123456789')
    mkdirSync(join(dir, 'folder'))
    await read(join(dir, 'b.json'), 10)
    await read(join(dir, 'b.json'), 5).catch(() => undefined)
    await read(join(dir, 'folder'), 5).catch(() => undefined)
    expect(openIn(dir)).toEqual([])
  })
})

describe('readRegularFile with a known identity', () => {
  it('does not read a file whose identity is unchanged, and reads it once it is replaced', async () => {
    const path = join(tempDir(), 'b.json')
    writeFileSync(path, 'first')
    const first = await readRegularFile(path, 100)
    expect(first?.text).toBe('first')
    const identity = first?.identity as string
    expect(await readRegularFile(path, 100, identity)).toEqual({ text: undefined, identity })
    expect(readRegularFileSync(path, 100)?.identity).toBe(identity)

    await replaceFile(path, (handle) => handle.writeFile('second'))
    const second = await readRegularFile(path, 100, identity)
    expect(second?.text).toBe('second')
    expect(second?.identity).not.toBe(identity)
  })
})

describe('asideName and moveAsideSync', () => {
  it('names a copy <file>.<tag>-<ISO time>-<pid>-<thread>-<n>-<random>', () => {
    const before = Date.now()
    const name = asideName('/data/b.json', 'corrupt')
    const after = Date.now()
    const match = new RegExp(
      `^/data/b\\.json\\.corrupt-(\\d{4}-\\d\\d-\\d\\dT\\d\\d)-(\\d\\d)-(\\d\\d)-(\\d{3})Z-${process.pid}-${threadId}-\\d+-[0-9a-z]{1,8}$`,
    ).exec(name)
    expect(match).not.toBeNull()
    const [, day, minutes, seconds, ms] = match as unknown as string[]
    const stamp = Date.parse(`${day}:${minutes}:${seconds}.${ms}Z`)
    expect(stamp).toBeGreaterThanOrEqual(before)
    expect(stamp).toBeLessThanOrEqual(after)
  })

  it('never gives the same name twice: the counter goes up by one per name', () => {
    const first = nextNameNumber()
    expect(nextNameNumber()).toBe(first + 1)
    expect(asideName('b.json', 't')).not.toBe(asideName('b.json', 't'))
  })

  it('moves the file to that name and returns it', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    writeFileSync(path, 'old')
    const moved = moveAsideSync(path, 'corrupt')
    expect(moved.startsWith(`${path}.corrupt-`)).toBe(true)
    expect(readdirSync(dir)).toEqual([moved.slice(dir.length + 1)])
    expect(readFileSync(moved, 'utf8')).toBe('old')
  })

  it('throws the rename error for a file that is gone, and moves nothing', () => {
    const dir = tempDir()
    expect(() => moveAsideSync(join(dir, 'b.json'), 'corrupt')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    )
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('keepCopySync', () => {
  it('keeps the text in <file>.<tag>-<16 hex digits of its hash>, leaving nothing else', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const kept = keepCopySync(path, 'rejected', 'as read')
    expect(kept).toMatch(/\/b\.json\.rejected-[0-9a-f]{16}$/)
    expect(kept.startsWith(`${path}.`)).toBe(true)
    expect(readdirSync(dir)).toEqual([kept.slice(dir.length + 1)])
    expect(readFileSync(kept, 'utf8')).toBe('as read')
  })

  it('keeps the same text once: the same name, the copy left as it is', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const kept = keepCopySync(path, 'rejected', 'as read')
    const { ino } = statSync(kept)
    expect(keepCopySync(path, 'rejected', 'as read')).toBe(kept)
    expect(statSync(kept).ino).toBe(ino)
    expect(readdirSync(dir)).toHaveLength(1)
  })

  it('keeps another text under another name', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const first = keepCopySync(path, 'rejected', 'one')
    const second = keepCopySync(path, 'rejected', 'two')
    expect(second).not.toBe(first)
    expect(readFileSync(first, 'utf8')).toBe('one')
    expect(readFileSync(second, 'utf8')).toBe('two')
    expect(readdirSync(dir)).toHaveLength(2)
  })
})

describe('replaceFile', () => {
  it('creates missing folders and returns the identity a read then finds', async () => {
    const path = join(tempDir(), 'a', 'b', 'b.json')
    const identity = await replaceFile(path, (handle) => handle.writeFile('new'))
    expect(readFileSync(path, 'utf8')).toBe('new')
    expect(await readRegularFile(path, 100, identity)).toEqual({ text: undefined, identity })
  })

  it('writes <file>.<pid>-<thread>-<n>-<random>.<host tag>.tmp beside it, then renames it over', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    writeFileSync(path, 'old')
    let during: string[] = []
    await replaceFile(path, async (handle) => {
      await handle.writeFile('new')
      during = readdirSync(dir).sort()
      expect(readFileSync(path, 'utf8')).toBe('old') // not replaced until it is complete
    })
    expect(during).toHaveLength(2)
    expect(during[0]).toBe('b.json')
    expect(during[1]).toMatch(
      new RegExp(`^b\\.json\\.${process.pid}-${threadId}-\\d+-[0-9a-z]{1,8}\\.[0-9a-f]{8}\\.tmp$`),
    )
    expect(readdirSync(dir)).toEqual(['b.json'])
    expect(readFileSync(path, 'utf8')).toBe('new')
  })

  it('rejects with the error of a failing write, keeps the old file and removes the temporary one', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    writeFileSync(path, 'old')
    const failure = new Error('disk full')
    await expect(
      replaceFile(path, async (handle) => {
        await handle.writeFile('half')
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(readdirSync(dir)).toEqual(['b.json'])
    expect(readFileSync(path, 'utf8')).toBe('old')
  })

  it('rejects with EISDIR for a folder where the file should be, leaving no temporary file', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    mkdirSync(path)
    await expect(replaceFile(path, (handle) => handle.writeFile('new'))).rejects.toMatchObject({
      code: 'EISDIR',
    })
    expect(readdirSync(dir)).toEqual(['b.json'])
    expect(statSync(path).isDirectory()).toBe(true)
  })

  it.skipIf(process.platform === 'win32')(
    'fsyncs the new file before the rename, and its folder after it',
    async () => {
      const dir = tempDir()
      const path = join(dir, 'b.json')
      writeFileSync(path, 'old')
      const old = statSync(path).ino
      const fsyncs = await fsyncsDuring(path, () =>
        replaceFile(path, (handle) => handle.writeFile('new')),
      )
      const ino = statSync(path).ino
      expect(fsyncs).toEqual([
        { isFolder: false, ino, inoAtPath: old },
        { isFolder: true, ino: statSync(dir).ino, inoAtPath: ino },
      ])
    },
  )

  it.runIf(isLinux)('closes the temporary file and the folder, also when it fails', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const failure = new Error('disk full')
    await replaceFile(path, (handle) => handle.writeFile('new'))
    await replaceFile(path, () => Promise.reject(failure)).catch(() => undefined)
    expect(openIn(dir)).toEqual([])
  })
})

type WriteText = (path: string, text: string, durable?: boolean) => Promise<void>

const textWriters: Record<string, WriteText> = {
  replaceFileSync: async (path, text, durable) => replaceFileSync(path, text, durable),
  writeFileAtomically: (path, text, durable) => writeFileAtomically(path, text, durable),
}

describe.each(Object.keys(textWriters))('%s', (name) => {
  const write = (path: string, text: string, durable?: boolean) =>
    (textWriters[name] as WriteText)(path, text, durable)

  it.each([true, false])(
    'with durable %s, creates missing folders and writes the text, leaving no temporary file',
    async (durable) => {
      const dir = tempDir()
      const path = join(dir, 'a', 'b', 'b.json')
      await write(path, 'new', durable)
      expect(readFileSync(path, 'utf8')).toBe('new')
      expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['b.json'])
    },
  )

  it.each([true, false])(
    'with durable %s, replaces the file by a rename: a reader of the old one reads it whole',
    async (durable) => {
      const dir = tempDir()
      const path = join(dir, 'b.json')
      writeFileSync(path, 'old text')
      linkSync(path, join(dir, 'reader')) // the file as an open reader holds it
      await write(path, 'new', durable)
      expect(readFileSync(path, 'utf8')).toBe('new')
      expect(readFileSync(join(dir, 'reader'), 'utf8')).toBe('old text') // not written over
      expect(readdirSync(dir).sort()).toEqual(['b.json', 'reader'])
    },
  )

  it.skipIf(process.platform === 'win32').each([
    ['durable', true],
    ['by default', undefined],
  ])('fsyncs the new file before the rename and its folder after it, %s', async (_, durable) => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    writeFileSync(path, 'old')
    const old = statSync(path).ino
    const fsyncs = await fsyncsDuring(path, () => write(path, 'new', durable))
    const ino = statSync(path).ino
    expect(fsyncs).toEqual([
      { isFolder: false, ino, inoAtPath: old },
      { isFolder: true, ino: statSync(dir).ino, inoAtPath: ino },
    ])
  })

  it.skipIf(process.platform === 'win32')('fsyncs nothing when not durable', async () => {
    const path = join(tempDir(), 'b.json')
    expect(await fsyncsDuring(path, () => write(path, 'new', false))).toEqual([])
    expect(readFileSync(path, 'utf8')).toBe('new')
  })

  it.each([true, false])(
    'with durable %s, throws EISDIR for a folder where the file should be, removing its temporary file',
    async (durable) => {
      const dir = tempDir()
      const path = join(dir, 'b.json')
      mkdirSync(path)
      await expect(write(path, 'new', durable)).rejects.toMatchObject({ code: 'EISDIR' })
      expect(readdirSync(dir)).toEqual(['b.json'])
      expect(statSync(path).isDirectory()).toBe(true)
    },
  )

  it('throws ENOTDIR when its folder cannot be created under a file, writing nothing', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'file'), 'x')
    await expect(write(join(dir, 'file', 'a', 'b.json'), 'new')).rejects.toMatchObject({
      code: 'ENOTDIR',
    })
    expect(readdirSync(dir)).toEqual(['file'])
  })

  it.runIf(isLinux)('closes the temporary file and the folder, also when it fails', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    await write(path, 'new')
    await write(path, 'new', false)
    mkdirSync(join(dir, 'folder'))
    await write(join(dir, 'folder'), 'new').catch(() => undefined)
    expect(openIn(dir)).toEqual([])
  })
})

describe('removeDeadWriters', () => {
  it('removes the temporary files of writers on this host that no longer run, and no other', async () => {
    const own = await ownTempSuffix() // <pid>-<thread>-<n>-<random>.<host tag>.tmp
    const hostTag = (own.split('.')[1] ?? '').replace(/^./, (c) => (c === '0' ? '1' : '0'))
    const otherHost = own.replace(/\.[0-9a-f]{8}\.tmp$/, `.${hostTag}.tmp`)
    const dead = deadPid()
    const withPid = (suffix: string, pid: number) => `b.json.${suffix.replace(/^\d+/, `${pid}`)}`
    const removed = [withPid(own, dead), `b.json.${dead}-7.tmp`] // this version, the earlier one
    const kept = [
      'b.json',
      withPid(own, livePid()),
      withPid(own, process.pid),
      withPid(otherHost, dead), // another host's pid says nothing here
      `b.json.${livePid()}-7.tmp`,
      `b.json.backup-${dead}-7.tmp`,
      `b.json.${dead}-7.tmp.bak`,
      `b.json.${dead}.tmp`,
      `c.json.${dead}-7.tmp`,
    ]
    const dir = tempDir()
    for (const name of [...removed, ...kept]) writeFileSync(join(dir, name), 'x')
    removeDeadWriters(join(dir, 'b.json'), STALE_MS)
    expect(readdirSync(dir).sort()).toEqual(kept.sort())
  })

  it('removes any temporary file older than staleMs, not one exactly staleMs old', async () => {
    const own = await ownTempSuffix()
    const names = [
      `b.json.${own.replace(/^\d+/, `${livePid()}`)}`,
      `b.json.${own.replace(/\.[0-9a-f]{8}\.tmp$/, '.00000000.tmp')}`,
      `b.json.${livePid()}-7.tmp`,
    ]
    const dir = tempDir()
    for (const name of names) {
      writeFileSync(join(dir, name), 'x')
      ageFile(join(dir, name), 500)
    }
    vi.setSystemTime(T0 + 500)
    removeDeadWriters(join(dir, 'b.json'), 500)
    expect(readdirSync(dir).sort()).toEqual(names.sort())
    vi.setSystemTime(T0 + 501)
    removeDeadWriters(join(dir, 'b.json'), 500)
    expect(readdirSync(dir)).toEqual([])
  })

  it("removes a dead writer's lock and keeps a live one", () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const lockPath = writeLock(path, { pid: deadPid(), threadId: 0, host: hostname(), nonce: 'n' })
    removeDeadWriters(path, STALE_MS)
    expect(existsSync(lockPath)).toBe(false)
    writeLock(path, { pid: livePid(), threadId: 0, host: hostname(), nonce: 'n' })
    removeDeadWriters(path, STALE_MS)
    expect(existsSync(lockPath)).toBe(true)
  })

  it('does nothing for a folder that does not exist', () => {
    const path = join(tempDir(), 'missing', 'b.json')
    expect(() => removeDeadWriters(path, STALE_MS)).not.toThrow()
  })
})

describe('tryLockSync', () => {
  it('takes a free lock: <file>.lock names this process, thread and host', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const lock = tryLockSync(path, STALE_MS)
    expect(lock).toBeDefined()
    expect(readdirSync(dir)).toEqual(['b.json.lock']) // no temporary file left
    expect(ownerOf(`${path}.lock`)).toEqual(thisProcess())
  })

  it('creates the missing folders of the lock', () => {
    const path = join(tempDir(), 'a', 'b', 'b.json')
    expect(tryLockSync(path, STALE_MS)).toBeDefined()
    expect(existsSync(`${path}.lock`)).toBe(true)
  })

  it('throws the error of a path through a file (ENOTDIR)', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'file'), 'x')
    expect(() => tryLockSync(join(dir, 'file', 'b.json'), STALE_MS)).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    )
  })

  it('is undefined while the lock is held, and takes it again once released', () => {
    const path = join(tempDir(), 'b.json')
    const lock = tryLockSync(path, STALE_MS) as FileLock
    expect(tryLockSync(path, STALE_MS)).toBeUndefined()
    lock.release()
    expect(existsSync(`${path}.lock`)).toBe(false)
    expect(tryLockSync(path, STALE_MS)).toBeDefined()
  })

  it('release leaves alone a lock someone else took since, and can be called again', () => {
    const path = join(tempDir(), 'b.json')
    const first = tryLockSync(path, STALE_MS) as FileLock
    unlinkSync(`${path}.lock`) // broken as stale by another writer, who then takes it
    const second = tryLockSync(path, STALE_MS) as FileLock
    const secondOwner = ownerOf(`${path}.lock`)
    first.release()
    expect(ownerOf(`${path}.lock`)).toEqual(secondOwner)
    second.release()
    expect(existsSync(`${path}.lock`)).toBe(false)
    expect(() => second.release()).not.toThrow()
  })

  it('breaks at once the lock of a process on this host that no longer runs', () => {
    const path = join(tempDir(), 'b.json')
    const lockPath = writeLock(path, { pid: deadPid(), threadId: 0, host: hostname(), nonce: 'n' })
    ageFile(lockPath, 0)
    expect(tryLockSync(path, STALE_MS)).toBeDefined()
    expect(ownerOf(lockPath)).toEqual(thisProcess())
    expect(readdirSync(join(path, '..'))).toEqual(['b.json.lock'])
  })

  it.each([
    ['a live process on this host', () => livePid(), hostname()],
    ['this process', () => process.pid, hostname()],
    ['a process on another host', () => deadPid(), 'elsewhere.invalid'],
  ])('keeps the lock of %s until it is older than staleMs', (_, pid, host) => {
    const path = join(tempDir(), 'b.json')
    const owner = { pid: pid(), threadId: 3, host, nonce: 'n' }
    const lockPath = writeLock(path, owner)
    ageFile(lockPath, STALE_MS)
    expect(tryLockSync(path, STALE_MS)).toBeUndefined()
    expect(ownerOf(lockPath)).toEqual(owner)
    vi.setSystemTime(T0 + STALE_MS + 1)
    expect(tryLockSync(path, STALE_MS)).toBeDefined()
    expect(ownerOf(lockPath)).toEqual(thisProcess())
  })

  it.each([
    ['', STALE_MS, 1000],
    ['{"pid":', STALE_MS, 1000],
    ['null', STALE_MS, 1000],
    ['[]', STALE_MS, 1000],
    ['{}', 500, 500],
    ['{"pid":1}', STALE_MS, 1000], // no nonce
    ['{"nonce":"n","host":"elsewhere.invalid"}', STALE_MS, 1000], // no pid
    ['{"pid":"1","nonce":"n"}', STALE_MS, 1000],
  ])(
    'breaks a lock file holding %j (no owner) once older than min(1000, %i) ms',
    (text, staleMs, limitMs) => {
      const path = join(tempDir(), 'b.json')
      const lockPath = writeLock(path, text)
      ageFile(lockPath, limitMs)
      expect(tryLockSync(path, staleMs)).toBeUndefined()
      expect(readFileSync(lockPath, 'utf8')).toBe(text)
      vi.setSystemTime(T0 + limitMs + 1)
      expect(tryLockSync(path, staleMs)).toBeDefined()
      expect(ownerOf(lockPath)).toEqual(thisProcess())
    },
  )

  it('tries once on a held lock', () => {
    const path = join(tempDir(), 'b.json')
    tryLockSync(path, STALE_MS)
    const attempts = attemptCounter()
    expect(tryLockSync(path, STALE_MS)).toBeUndefined()
    expect(attempts()).toBe(1)
  })

  it('judges a symbolic link in place of the lock as a lock naming no owner', () => {
    const path = join(tempDir(), 'b.json')
    const lockPath = `${path}.lock`
    symlinkSync('missing', lockPath)
    const attempts = attemptCounter()
    expect(tryLockSync(path, STALE_MS)).toBeUndefined()
    expect(attempts()).toBe(1)
    const past = new Date(Date.now() - 1001)
    lutimesSync(lockPath, past, past)
    expect(tryLockSync(path, STALE_MS)).toBeDefined()
    expect(ownerOf(lockPath)).toEqual(thisProcess())
  })
})

describe('acquireLock', () => {
  it('takes a free lock at once', async () => {
    const path = join(tempDir(), 'b.json')
    const lock = await acquireLock(path, { waitMs: 0, staleMs: STALE_MS })
    expect(ownerOf(`${path}.lock`)).toEqual(thisProcess())
    lock.release()
    expect(existsSync(`${path}.lock`)).toBe(false)
  })

  it('takes over the lock of a process on this host that no longer runs, at once', async () => {
    const path = join(tempDir(), 'b.json')
    const lockPath = writeLock(path, { pid: deadPid(), threadId: 0, host: hostname(), nonce: 'n' })
    ageFile(lockPath, 0)
    await acquireLock(path, { waitMs: 0, staleMs: STALE_MS })
    expect(ownerOf(lockPath)).toEqual(thisProcess())
  })

  it('gives up at once with waitMs 0, naming the owner', async () => {
    const path = join(tempDir(), 'b.json')
    const lockPath = writeLock(path, { pid: livePid(), threadId: 4, host: hostname(), nonce: 'n' })
    ageFile(lockPath, 0)
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] })
    vi.setSystemTime(T0)
    const result = settled(acquireLock(path, { waitMs: 0, staleMs: STALE_MS }))
    await nextTurn()
    expect(result.error).toBeInstanceOf(LockTimeoutError)
    expect(result.error).toMatchObject({
      name: 'LockTimeoutError',
      message: `${lockPath} is held by pid ${livePid()} (thread 4) on ${hostname()}; waited 0 ms`,
    })
  })

  it('names an unknown writer when the lock file names no owner', async () => {
    const path = join(tempDir(), 'b.json')
    const lockPath = writeLock(path, '')
    ageFile(lockPath, 0)
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] })
    vi.setSystemTime(T0)
    const result = settled(acquireLock(path, { waitMs: 0, staleMs: STALE_MS }))
    await nextTurn()
    expect(result.error).toMatchObject({
      message: `${lockPath} is held by an unknown writer; waited 0 ms`,
    })
  })

  it('waits for a held lock and takes it once it is released', async () => {
    const path = join(tempDir(), 'b.json')
    const held = tryLockSync(path, STALE_MS) as FileLock
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] })
    const result = settled(acquireLock(path, { waitMs: 10_000, staleMs: STALE_MS }))
    await vi.advanceTimersByTimeAsync(1000)
    expect(result.done).toBe(false)
    held.release()
    await vi.advanceTimersByTimeAsync(150) // the longest wait between two attempts
    expect(result).toMatchObject({ done: true, value: expect.anything() })
    expect(ownerOf(`${path}.lock`)).toEqual(thisProcess())
  })

  it('gives up at the first attempt after waitMs, with LockTimeoutError', async () => {
    const path = join(tempDir(), 'b.json')
    tryLockSync(path, STALE_MS)
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] })
    const result = settled(acquireLock(path, { waitMs: 500, staleMs: STALE_MS }))
    await vi.advanceTimersByTimeAsync(499)
    expect(result.done).toBe(false)
    await vi.advanceTimersByTimeAsync(151)
    expect(result.error).toBeInstanceOf(LockTimeoutError)
    const waitedMs = Number(/waited (\d+) ms$/.exec((result.error as Error).message)?.[1])
    expect(waitedMs).toBeGreaterThanOrEqual(500)
    expect(waitedMs).toBeLessThan(650)
  })

  it('retries after 1 to 3 ms, the wait doubling up to 100 ms, with ±50 % jitter', async () => {
    const path = join(tempDir(), 'b.json')
    const held = tryLockSync(path, STALE_MS) as FileLock
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] })
    const attempts = attemptCounter()
    const result = settled(acquireLock(path, { waitMs: 60_000, staleMs: STALE_MS }))
    // Attempts at 0 ms, then after waits of [1, 3), [2, 6), [4, 12), [8, 24) ms: by 45 ms.
    await vi.advanceTimersByTimeAsync(45)
    expect(attempts()).toBeGreaterThanOrEqual(5)
    // Waits of at least 1, 2, 4, 8, 16, 32 ms, then 50 ms: at most 25 attempts by 1 s.
    await vi.advanceTimersByTimeAsync(955)
    expect(attempts()).toBeLessThanOrEqual(25)
    held.release()
    await vi.advanceTimersByTimeAsync(150)
    expect(result).toMatchObject({ done: true, value: expect.anything() })
  })
})
