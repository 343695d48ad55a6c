/**
 * Runs `task` after the current call stack, off the monitored call's path (`setImmediate`,
 * unref'd so it never keeps a process alive); a failure goes to `onError`, never to the caller.
 */
export function runSoon(task: () => void, onError: (error: unknown) => void): void {
  setImmediate(() => {
    try {
      task()
    } catch (error) {
      onError(error)
    }
  }).unref()
}
