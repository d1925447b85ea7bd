/**
 * A full disk, simulated at the SQL driver: while `full()` is true every write statement
 * fails as PostgreSQL fails it when it cannot extend a file (SQLSTATE 53100, ENOSPC). Inside a
 * transaction the first write runs and only then fails (its rows are in the transaction), so
 * a store that did not roll back would leave half-written rows behind.
 */
import type { SqlDriver, SqlExecutor } from '@parley/server'

/** PostgreSQL's disk_full SQLSTATE. */
export const DISK_FULL_SQLSTATE = '53100'
const WRITE = /^\s*(insert|update|delete)\b|^\s*with\b[\s\S]*\b(insert|update|delete)\b/i

function diskFullError(): Error {
  return Object.assign(new Error('could not extend file "base/16384/16385": No space left on device'), { code: DISK_FULL_SQLSTATE })
}

/** `driver` with writes failing while `full()`; `failures()` counts the writes refused. */
export function diskFullDriver(driver: SqlDriver, full: () => boolean): SqlDriver & { failures(): number } {
  let failures = 0
  const isWrite = (sql: string, write?: boolean) => write === true || WRITE.test(sql)
  const refuse = (): never => {
    failures++
    throw diskFullError()
  }
  return {
    kind: driver.kind,
    failures: () => failures,
    async query(sql, params, options) {
      if (full() && isWrite(sql, options?.write)) refuse()
      return driver.query(sql, params, options)
    },
    transaction(fn, retryOn) {
      return driver.transaction((tx) => {
        const wrapped: SqlExecutor = {
          async query(sql, params, options) {
            if (!(full() && isWrite(sql, options?.write))) return tx.query(sql, params, options)
            await tx.query(sql, params, options) // written inside the transaction…
            return refuse() // …then the disk is full
          },
        }
        return fn(wrapped)
      }, retryOn)
    },
    exec: (sql) => driver.exec(sql),
    close: () => driver.close(),
  }
}
