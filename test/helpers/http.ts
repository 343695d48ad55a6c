import type { Server } from 'node:http'
import { connect } from 'node:net'
import { expect } from 'vitest'
import type { RequestRecord, RequestSink } from '../../src/http/node.js'

/** A history sink that keeps every record in an array. */
export function arraySink(): RequestSink & { records: RequestRecord[] } {
  const records: RequestRecord[] = []
  return { records, recordRequest: (record) => records.push(record) }
}

/** A history whose `recordRequest` throws `sink broke`. */
export function throwingSink(): RequestSink {
  return {
    recordRequest: () => {
      throw new Error('sink broke')
    },
  }
}

/**
 * `tracker` whose recording throws `tracker broke`: `record`, and `timedTarget`, through which
 * the HTTP adapters record; the rest is `tracker`'s own.
 */
export function throwingTracker<T extends { record: (...args: never[]) => unknown }>(
  tracker: T,
): T {
  const broken = Object.create(tracker) as T & { timedTarget: () => never }
  broken.record = () => {
    throw new Error('tracker broke')
  }
  broken.timedTarget = () => {
    throw new Error('tracker broke')
  }
  return broken
}

/** Listens on 127.0.0.1, port 0; returns the base URL and a close that ends kept-alive sockets too. */
export async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Status, headers (without `date`) and body of a response: what a client sees. */
export async function seen(response: Response) {
  const headers = Object.fromEntries(
    [...response.headers].filter(([name]) => name !== 'date' && name !== 'keep-alive'),
  )
  return { status: response.status, headers, body: await response.text() }
}

/** Fetches each path from both servers, one after the other: they must answer alike. */
export async function expectSameResponses(
  plainUrl: string,
  watchedUrl: string,
  paths: readonly string[],
): Promise<void> {
  for (const path of paths) {
    const expected = await seen(await fetch(plainUrl + path))
    expect(await seen(await fetch(watchedUrl + path))).toEqual(expected)
  }
}

/**
 * Sends a GET over a raw socket and destroys it as soon as the first bytes of the response
 * arrive (the server is expected to write part of a response and wait).
 */
export function abortAfterFirstBytes(url: string, path: string): Promise<void> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`)
    })
    socket.once('data', () => {
      socket.destroy()
      resolve()
    })
    socket.once('error', reject)
  })
}

/** Waits until `check` holds, polling every 5 ms, for at most 2 s. */
export async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
