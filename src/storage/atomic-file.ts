/**
 * Files that several processes and threads share safely: exclusive lock files with stale-lock
 * recovery, atomic replacement (a unique temporary file, fsync, rename, fsync of the folder),
 * reads that refuse what is not a regular file of a sane size, and copies moved aside under
 * names that never collide. Nothing here knows about baselines.
 *
 * Why not proper-lockfile: it breaks a lock only by its age (10 s at least, 2 s at the very
 * least), so after a crashed writer every other writer waits; this lock file names its owner,
 * so a lock of a dead process on this host is taken over at once, and it adds no dependency.
 */
import { createHash } from 'node:crypto'
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { threadId } from 'node:worker_threads'

/** A file that cannot be used as it is: not a regular file, too large, or unreadable. */
export class FileAccessError extends Error {
  readonly code: string | undefined

  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FileAccessError'
    this.code = code
  }
}

/** What a read found: the text and an identity that changes whenever the file is replaced. */
export interface FileRead {
  text: string
  identity: string
}

// O_NONBLOCK: opening a FIFO must not block the thread forever (it is then refused by fstat).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

/**
 * Reads a whole regular file synchronously; `undefined` when it does not exist.
 * @throws FileAccessError when it is not a regular file, is larger than `maxBytes`, or cannot
 * be read (permissions...).
 */
export function readRegularFileSync(path: string, maxBytes: number): FileRead | undefined {
  let fd: number
  try {
    fd = openSync(path, READ_FLAGS)
  } catch (error) {
    return missingOrThrow(path, error)
  }
  try {
    const stats = fstatSync(fd)
    checkRegular(path, stats, maxBytes)
    return { text: readFileSync(fd, 'utf8'), identity: identityOf(stats) }
  } catch (error) {
    throw accessError(path, error)
  } finally {
    closeSync(fd)
  }
}

/**
 * `readRegularFileSync`, without blocking the event loop; when the file's identity is still
 * `knownIdentity`, its text is not read (`text` is then undefined).
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  knownIdentity?: string,
): Promise<{ text: string | undefined; identity: string } | undefined> {
  let handle: FileHandle
  try {
    handle = await open(path, READ_FLAGS)
  } catch (error) {
    return missingOrThrow(path, error)
  }
  try {
    const stats = await handle.stat()
    checkRegular(path, stats, maxBytes)
    const identity = identityOf(stats)
    if (identity === knownIdentity) return { text: undefined, identity }
    return { text: await handle.readFile('utf8'), identity }
  } catch (error) {
    throw accessError(path, error)
  } finally {
    await handle.close()
  }
}

function missingOrThrow(path: string, error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
  throw accessError(path, error)
}

function checkRegular(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw notRegular(path)
  if (stats.size > maxBytes) {
    throw new FileAccessError(
      `${path} is ${stats.size} bytes, more than maxFileBytes (${maxBytes})`,
      'ETOOBIG',
    )
  }
}

function accessError(path: string, error: unknown): FileAccessError {
  if (error instanceof FileAccessError) return error
  const code = (error as NodeJS.ErrnoException).code
  // A folder where the file should be: Linux and macOS open it and fstat says so (checkRegular),
  // only Windows refuses to open it.
  // Stryker disable next-line ConditionalExpression,StringLiteral: only Windows reaches it (see above)
  if (code === 'EISDIR') return notRegular(path)
  return new FileAccessError(`${path} cannot be read (${code ?? String(error)})`, code, {
    cause: error,
  })
}

function notRegular(path: string): FileAccessError {
  return new FileAccessError(`${path} is not a regular file`, 'ENOTFILE')
}

/** Changes whenever the file at a path is replaced or rewritten. */
function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`
}

// ---- unique names ------------------------------------------------------------------------

const HOST = hostname()
/** Short, name-safe tag of this host, so temporary files of other hosts are never judged dead. */
const HOST_TAG = createHash('sha256').update(HOST).digest('hex').slice(0, 8)
let sequence = 0

/** A name no other process, thread or call uses: pid, thread, a counter, random bits. */
function uniqueSuffix(): string {
  return `${process.pid}-${threadId}-${++sequence}-${Math.random().toString(36).slice(2, 10)}`
}

/** `<file>.<tag>-<ISO time>-<unique>`: a copy moved aside; never overwrites another one. */
export function asideName(path: string, tag: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  return `${path}.${tag}-${stamp}-${uniqueSuffix()}`
}

/**
 * Moves `path` aside to a fresh unique name and returns that name.
 * @throws the rename's error.
 */
export function moveAsideSync(path: string, tag: string): string {
  const target = asideName(path, tag)
  renameSync(path, target)
  return target
}

/**
 * Keeps `text` in `<path>.<tag>-<hash>`, named by its content so the same content is kept once,
 * and returns that name.
 */
export function keepCopySync(path: string, tag: string, text: string): string {
  const target = `${path}.${tag}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`
  try {
    statSync(target)
    return target // the same content is already kept
  } catch {
    const temp = tempName(path) // named like the file's own, so a crash leaves nothing lasting
    // Stryker disable next-line ObjectLiteral,StringLiteral: a unique name never exists already
    writeFileSync(temp, text, { flag: 'wx' })
    renameSync(temp, target)
    return target
  }
}

// ---- atomic replacement ------------------------------------------------------------------

/** `<file>.<pid>-<thread>-<n>-<random>.<host tag>.tmp`, unique per process, thread and call. */
function tempName(path: string): string {
  return `${path}.${uniqueSuffix()}.${HOST_TAG}.tmp`
}

/**
 * Replaces `path` atomically with what `write` writes: a unique temporary file in the same
 * folder (created exclusively), fsync, rename over `path`, fsync of the folder so the rename
 * survives a power loss (as SQLite and etcd do). On failure the temporary file is removed.
 * @returns the identity of the new file (read back: the caller must hold the file's lock).
 */
export async function replaceFile(
  path: string,
  write: (handle: FileHandle) => Promise<void>,
): Promise<string> {
  await writeThenRename(path, write, true)
  // After the rename, which changes the ctime; the caller holds the lock, so it is our file.
  return identityOf(await stat(path))
}

/** `replaceFileSync` without blocking the event loop. */
export async function writeFileAtomically(
  path: string,
  text: string,
  durable = true,
): Promise<void> {
  await writeThenRename(path, (handle) => handle.writeFile(text), durable)
}

async function writeThenRename(
  path: string,
  write: (handle: FileHandle) => Promise<void>,
  durable: boolean,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = tempName(path)
  try {
    const handle = await open(temp, 'wx')
    try {
      await write(handle)
      if (durable) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined) // not created, or already gone
    throw error
  }
  if (durable) await syncFolder(dirname(path))
}

/**
 * Writes `text` to `path` atomically, before it returns: a unique temporary file in the same
 * folder (created exclusively), renamed over `path`, so a reader sees the old file or the new one,
 * never part of one. With `durable` (the default) the file and then the folder are fsynced too,
 * so the new file also survives a power loss; without it that costs nothing but may leave an
 * empty file after one. On failure the temporary file is removed.
 * @throws the failing call's error (the folder cannot be created, the disk is full...).
 */
export function replaceFileSync(path: string, text: string, durable = true): void {
  mkdirSync(dirname(path), { recursive: true })
  const temp = tempName(path)
  try {
    const fd = openSync(temp, 'wx')
    try {
      writeFileSync(fd, text)
      if (durable) fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, path)
  } catch (error) {
    try {
      unlinkSync(temp)
    } catch {
      // not created, or already gone
    }
    throw error
  }
  if (durable) syncFolderSync(dirname(path))
}

function syncFolderSync(folder: string): void {
  let fd: number | undefined
  try {
    fd = openSync(folder, 'r')
    fsyncSync(fd)
  } catch {
    // As in syncFolder: not supported everywhere; the rename is still atomic.
  } finally {
    // Stryker disable next-line ConditionalExpression: fd is undefined only where a folder cannot be opened (Windows)
    if (fd !== undefined) closeSync(fd)
  }
}

async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(folder, 'r')
    await handle.sync()
  } catch {
    // Not supported everywhere (Windows cannot open a folder): the rename is still atomic.
  } finally {
    // Stryker disable next-line OptionalChaining: handle is undefined only where a folder cannot be opened (Windows)
    await handle?.close()
  }
}

/**
 * Removes what writers that died mid-write left next to `path`: their lock, and temporary files
 * of a process on this host that no longer runs or older than `staleMs`.
 */
export function removeDeadWriters(path: string, staleMs: number): void {
  breakIfStale(`${path}.lock`, staleMs)
  const prefix = `${basename(path)}.`
  let names: string[]
  try {
    names = readdirSync(dirname(path))
  } catch {
    return
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    // This version: <pid>-<thread>-<n>-<random>.<host tag>.tmp; earlier ones: <pid>-<n>.tmp.
    const match = /^(\d+)-[\w-]+?(?:\.([0-9a-f]{8}))?\.tmp$/.exec(name.slice(prefix.length))
    if (match === null) continue
    const isLocal = match[2] === undefined || match[2] === HOST_TAG
    const isDead = isLocal && !isAlive(Number(match[1]))
    const file = join(dirname(path), name)
    try {
      if (isDead || Date.now() - statSync(file).mtimeMs > staleMs) unlinkSync(file)
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // alive, owned by someone else
  }
}

// ---- lock files --------------------------------------------------------------------------

/** Who holds a lock: written into the lock file. */
interface LockOwner {
  pid: number
  threadId: number
  host: string
  nonce: string
}

/** A held lock; `release()` removes the lock file if it is still this lock. */
export interface FileLock {
  release(): void
}

/** The lock could not be taken within the wait. */
export class LockTimeoutError extends Error {
  constructor(lockPath: string, waitedMs: number, owner: string) {
    super(`${lockPath} is held by ${owner}; waited ${waitedMs} ms`)
    this.name = 'LockTimeoutError'
  }
}

export interface LockOptions {
  /** How long to wait for the lock before giving up. */
  waitMs: number
  /** A lock file older than this is taken over even if its owner cannot be proven dead. */
  staleMs: number
}

/** Tries once (breaking a stale lock first); `undefined` when someone else holds it. */
export function tryLockSync(path: string, staleMs: number): FileLock | undefined {
  const lockPath = `${path}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    const lock = createLock(path)
    if (lock !== undefined) return lock
    if (!breakIfStale(lockPath, staleMs)) return undefined
  }
  return undefined
}

/**
 * Takes the lock of `path` (`<path>.lock`), waiting with jittered backoff; a lock whose owner
 * died (on this host) or that is older than `staleMs` is broken.
 * @throws LockTimeoutError after `waitMs`; the error of creating the lock file otherwise.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<FileLock> {
  const lockPath = `${path}.lock`
  const started = Date.now()
  let delayMs = 2
  for (;;) {
    const lock = createLock(path)
    if (lock !== undefined) return lock
    if (breakIfStale(lockPath, options.staleMs)) continue
    const waited = Date.now() - started
    if (waited >= options.waitMs)
      throw new LockTimeoutError(lockPath, waited, describeOwner(lockPath))
    await new Promise((resolve) => setTimeout(resolve, delayMs * (0.5 + Math.random())))
    delayMs = Math.min(100, delayMs * 2)
  }
}

/**
 * Creates `<path>.lock` with its owner inside, or returns undefined when it exists. The owner is
 * written to a temporary file first and linked into place, so a lock file is never seen empty
 * (a writer killed between creating and filling it would leave a lock nobody could judge).
 */
function createLock(path: string): FileLock | undefined {
  const lockPath = `${path}.lock`
  const owner: LockOwner = {
    pid: process.pid,
    threadId,
    host: HOST,
    // Stryker disable next-line MethodExpression: only compared for equality; "0." changes nothing
    nonce: Math.random().toString(36).slice(2),
  }
  const temp = tempName(path) // removed with dead writers' leftovers if we die right here
  try {
    // Stryker disable next-line ObjectLiteral,StringLiteral: a unique name never exists already
    writeFileSync(temp, JSON.stringify(owner), { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    mkdirSync(dirname(path), { recursive: true })
    return createLock(path)
  }
  try {
    linkSync(temp, lockPath)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return undefined
    // No hard links on this file system: create the lock file exclusively, then fill it.
    if (code === undefined || !['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV'].includes(code)) throw error
    if (!createExclusively(lockPath, JSON.stringify(owner))) return undefined
  } finally {
    unlinkSafe(temp)
  }
  return {
    release() {
      if (readOwner(lockPath)?.nonce === owner.nonce) unlinkSafe(lockPath)
    },
  }
}

function createExclusively(file: string, text: string): boolean {
  let fd: number
  try {
    fd = openSync(file, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeFileSync(fd, text)
  } finally {
    closeSync(fd)
  }
  return true
}

function readOwner(lockPath: string): LockOwner | undefined {
  let owner: Partial<LockOwner> | null | undefined
  try {
    // Stryker disable next-line StringLiteral: JSON.parse reads a Buffer as UTF-8 text too
    owner = JSON.parse(readFileSync(lockPath, 'utf8'))
  } catch {
    // gone, unreadable or not JSON: no owner
  }
  return typeof owner?.pid === 'number' && typeof owner.nonce === 'string'
    ? (owner as LockOwner)
    : undefined
}

function describeOwner(lockPath: string): string {
  const owner = readOwner(lockPath)
  return owner === undefined
    ? 'an unknown writer'
    : `pid ${owner.pid} (thread ${owner.threadId}) on ${owner.host}`
}

/**
 * Removes `lockPath` if its owner is dead or it is older than `staleMs`; true when the lock is
 * gone (removed by us or meanwhile). Breaking goes through a rename, and the renamed file is
 * checked to be the one judged stale: if a fresh lock was taken in between, it is put back.
 */
function breakIfStale(lockPath: string, staleMs: number): boolean {
  let ageMs: number
  try {
    // lstat: a symbolic link in place of the lock is judged as itself, never as "gone" (which
    // would retry at once, forever, while it blocks link()).
    ageMs = Date.now() - lstatSync(lockPath).mtimeMs
  } catch {
    return true
  }
  const owner = readOwner(lockPath)
  const isStale =
    owner === undefined
      ? ageMs > Math.min(1000, staleMs) // a writer died between creating and filling it
      : (owner.host === HOST && !isAlive(owner.pid)) || ageMs > staleMs
  if (!isStale) return false
  const aside = `${lockPath}.${uniqueSuffix()}.stale`
  try {
    renameSync(lockPath, aside)
  } catch {
    return true // someone else broke it first
  }
  const taken = readOwner(aside)
  if (taken !== undefined && taken.nonce !== owner?.nonce) {
    // A fresh lock replaced the stale one between our checks: give it back.
    try {
      linkSync(aside, lockPath)
    } catch {
      // Someone holds a newer lock already; the fresh one's holder keeps going regardless.
    }
    unlinkSafe(aside)
    return false
  }
  unlinkSafe(aside)
  return true
}

function unlinkSafe(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // already gone
  }
}
