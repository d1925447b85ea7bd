/**
 * Files in the chat (docs/attachments.md): the composer's file picker and its upload progress
 * bar, and a message's attachments. Everything goes through the SDK: `send({ attachments,
 * onProgress })` seals each file on this device and uploads it out of band before the message
 * is sent; `client.attachments.download()` fetches the sealed bytes and opens them here,
 * checked against the size and hash the sender's franked message committed to. The server only
 * ever holds sealed bytes.
 */
import { useEffect, useRef, useState } from 'react'
import { MAX_ATTACHMENTS } from '@parley/protocol'
import type { Attachment, Message, OutgoingAttachment, SendProgress } from '@parley/client'
import { useParley } from '@parley/react'
import { describeError } from './describe-error.js'

/** Largest image fetched by itself to be shown inline (bytes); a larger one waits for a click. */
export const INLINE_IMAGE_MAX_BYTES = 5 * 1024 * 1024
/**
 * Image types shown inline. Raster only: an SVG is a document, and any type the sender names is
 * their word, so everything else is offered as a download of opaque bytes (never rendered in
 * this page's origin through a `blob:` URL).
 */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

/** The files chosen in the composer, as `send()` takes them (a `File` is a `Blob`: sealed and sent out of band). */
export function toOutgoing(files: readonly File[]): OutgoingAttachment[] {
  return files.map((f) => ({ name: f.name || 'file', mime: f.type || 'application/octet-stream', data: f }))
}

/**
 * The share of the upload done, 0..1, from the progress `send()` reported per attachment
 * (sealed bytes); an attachment not started yet counts with its plaintext size.
 */
export function uploadFraction(sizes: readonly number[], progress: ReadonlyMap<number, SendProgress>): number {
  let done = 0
  let total = 0
  sizes.forEach((size, i) => {
    const p = progress.get(i)
    done += p?.bytes ?? 0
    total += p?.total ?? size
  })
  return total === 0 ? 1 : Math.min(1, done / total)
}

/** "1.2 MB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / (1024 * 1024)).toFixed(1)} MB`
}

/** The composer's chosen files and the progress of the send uploading them. */
export interface FilePicker {
  files: File[]
  setFiles(files: File[]): void
  /** 0..1 while a send uploads, else null. */
  progress: number | null
  /** Takes the chosen files for a send: `attachments` and `onProgress` for `send()`, `done` after it. */
  take(): { attachments: OutgoingAttachment[]; onProgress: (p: SendProgress) => void; done: (failed: boolean) => void } | null
}

export function useFilePicker(): FilePicker {
  const [files, setFiles] = useState<File[]>([])
  const [progress, setProgress] = useState<number | null>(null)
  return {
    files, setFiles, progress,
    take() {
      if (files.length === 0) return null
      const taken = files
      const sizes = taken.map((f) => f.size)
      const parts = new Map<number, SendProgress>()
      setFiles([])
      setProgress(0)
      return {
        attachments: toOutgoing(taken),
        onProgress: (p) => {
          parts.set(p.index, p)
          setProgress(uploadFraction(sizes, parts))
        },
        // A failed send gives the files back, as the draft (nothing chosen is lost).
        done: (failed) => {
          setProgress(null)
          if (failed) setFiles(taken)
        },
      }
    },
  }
}

/** The composer's Attach button (and its hidden file input). */
export function AttachButton({ picker }: { picker: FilePicker }) {
  const input = useRef<HTMLInputElement>(null)
  const full = picker.files.length >= MAX_ATTACHMENTS
  return (
    <>
      <input
        ref={input} type="file" multiple hidden data-testid="attach-input"
        onChange={(e) => {
          const chosen = Array.from(e.target.files ?? [])
          e.target.value = '' // the same file can be chosen again
          picker.setFiles([...picker.files, ...chosen].slice(0, MAX_ATTACHMENTS))
        }}
      />
      <button type="button" className="button" data-testid="attach-button" disabled={full || picker.progress !== null} title={full ? `At most ${MAX_ATTACHMENTS} files per message` : 'Attach files'} aria-label="Attach files" onClick={() => input.current?.click()}>Attach</button>
    </>
  )
}

/** Below the composer's row: the chosen files (each removable) and, while sending, the progress bar. */
export function ChosenFiles({ picker }: { picker: FilePicker }) {
  return (
    <>
      {picker.files.length > 0 ? (
        <span className="chosen-files" data-testid="chosen-files">
          {picker.files.map((f, i) => (
            <span key={`${f.name}-${i}`} className="chip" data-testid="chosen-file">
              {f.name} ({formatBytes(f.size)})
              <button type="button" className="link-button" aria-label={`Remove ${f.name}`} onClick={() => picker.setFiles(picker.files.filter((_, j) => j !== i))}>×</button>
            </span>
          ))}
        </span>
      ) : null}
      {picker.progress !== null ? (
        <span className="upload-progress" data-testid="upload-progress" role="status">
          <progress max={1} value={picker.progress} /> Encrypting and uploading {Math.round(picker.progress * 100)}%
        </span>
      ) : null}
    </>
  )
}

/** A message's attachments; nothing for a deleted message (its content is gone). */
export function MessageAttachments({ m }: { m: Message }) {
  if (m.deleted || m.attachments.length === 0) return null
  return (
    <span className="attachments" data-testid="attachments">
      {/* A message request's attachments wait for a click (docs/safety-controls.md). */}
      {m.attachments.map((a, i) => <AttachmentItem key={i} a={a} auto={!m.request} />)}
    </span>
  )
}

/** One attachment: a download button (fetch, open, save), and a small raster image shown inline. */
function AttachmentItem({ a, auto }: { a: Attachment; auto: boolean }) {
  const { client } = useParley()
  const [bytes, setBytes] = useState<Uint8Array | null>(a.file ? null : a.data)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const image = INLINE_IMAGE_TYPES.has(a.mime)
  const saveOnLoad = useRef(false)
  const link = useRef<HTMLAnchorElement>(null)
  const [urls, setUrls] = useState<{ file: string; image: string | null } | null>(null)

  const load = async (save: boolean) => {
    if (!client || busy) return
    setBusy(true)
    setError(null)
    saveOnLoad.current = save
    try {
      setBytes(await client.attachments.download(a)) // checked against the committed size and hash
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  useEffect(() => {
    if (auto && image && !bytes && a.size <= INLINE_IMAGE_MAX_BYTES) void load(false)
  }, []) // once, on first render
  useEffect(() => {
    if (!bytes) return
    const file = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }))
    const shown = image ? URL.createObjectURL(new Blob([bytes as BlobPart], { type: a.mime })) : null
    setUrls({ file, image: shown })
    return () => {
      URL.revokeObjectURL(file)
      if (shown) URL.revokeObjectURL(shown)
    }
  }, [bytes, image, a.mime])
  useEffect(() => {
    if (urls && saveOnLoad.current) {
      saveOnLoad.current = false
      link.current?.click()
    }
  }, [urls])

  return (
    <span className="attachment" data-testid="attachment" data-name={a.name}>
      {urls?.image ? <img className="attachment-image" data-testid="attachment-image" src={urls.image} alt={a.name} /> : null}
      <span className="attachment-row">
        {urls ? (
          <a ref={link} className="link-button" data-testid="attachment-link" href={urls.file} download={a.name}>⬇ {a.name}</a>
        ) : (
          <button type="button" className="link-button" data-testid="attachment-download" disabled={busy} onClick={() => void load(true)}>
            {busy ? 'Decrypting…' : `⬇ ${a.name}`}
          </button>
        )}
        <span className="attachment-size">{formatBytes(a.size)}</span>
        {error ? <span className="action-error" data-testid="attachment-error" role="alert">{error}</span> : null}
      </span>
    </span>
  )
}
