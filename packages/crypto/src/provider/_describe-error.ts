/** `message (code)` of a thrown value, for errors and warnings that name their real cause. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const code = (e as { code?: unknown }).code
  return typeof code === 'string' ? `${e.message} (${code})` : e.message
}
