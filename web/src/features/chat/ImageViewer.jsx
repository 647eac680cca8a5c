import { useEffect, useRef } from 'react'
import { Button, CloseIcon } from '../../components/ui/index.js'

/**
 * A picture at full size in a modal <dialog>: Escape or the button closes
 * it, and the browser keeps focus inside and gives it back afterwards.
 */
export function ImageViewer({ image, alt, onClose }) {
  const dialogRef = useRef(null)

  useEffect(() => {
    const dialog = dialogRef.current
    if (!dialog || !image) return undefined
    if (typeof dialog.showModal === 'function') dialog.showModal()
    else dialog.setAttribute('open', '') // jsdom
    return () => {
      if (dialog.open && typeof dialog.close === 'function') dialog.close()
    }
  }, [image])

  if (!image) return null
  return (
    <dialog
      ref={dialogRef}
      aria-label={alt}
      onClose={onClose}
      onClick={(event) => event.target === dialogRef.current && onClose()}
      className="m-auto max-h-[95dvh] max-w-[95vw] rounded-xl bg-panel p-0 text-ink backdrop:bg-black/80"
    >
      <div className="flex items-center justify-between gap-2 border-b border-line px-3 py-2">
        <a href={image.url} target="_blank" rel="noreferrer" className="text-sm font-medium text-accent underline">
          Open original
        </a>
        <Button variant="ghost" size="sm" onClick={onClose} aria-label="Close image" autoFocus>
          <CloseIcon />
        </Button>
      </div>
      <img
        src={image.url}
        alt={alt}
        width={image.width}
        height={image.height}
        className="block h-auto max-h-[85dvh] w-auto max-w-full object-contain"
      />
    </dialog>
  )
}
