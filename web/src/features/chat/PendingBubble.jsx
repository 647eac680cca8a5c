import { useAppDispatch } from '../../app/hooks.js'
import { Button } from '../../components/ui/index.js'
import { MessageStatus } from './MessageStatus.jsx'
import { discardOutboxItem, retryOutboxItem, sendTextOnly } from './chatThunks.js'

/** A message of ours the server has not acknowledged yet: uploading, waiting, sending or failed. */
export function PendingBubble({ item, online }) {
  const dispatch = useAppDispatch()
  const status = item.status === 'sending' ? 'sending' : 'waiting'
  return (
    <div className="flex justify-end">
      <div className="max-w-[85%] space-y-1 rounded-2xl rounded-br-sm bg-bubble-mine px-3 py-2 opacity-90 shadow-sm sm:max-w-[70%]">
        <span className="sr-only">You (not sent yet):</span>
        {item.preview && <img src={item.preview} alt="" className="block max-h-60 max-w-60 rounded-lg object-cover" />}
        {item.status === 'uploading' && (
          <label className="block space-y-1 text-xs text-ink-muted">
            <span>Uploading image… {Math.round(item.progress * 100)}%</span>
            <progress max={1} value={item.progress} className="block h-1.5 w-full accent-accent" />
          </label>
        )}
        {item.text && <p className="break-words whitespace-pre-wrap">{item.text}</p>}
        {item.status === 'failed' ? (
          <div role="alert" className="space-y-1 text-sm">
            <p className="font-medium text-danger">Not sent: {item.error}</p>
            <div className="flex justify-end gap-2">
              <Button size="sm" variant="secondary" onClick={() => dispatch(discardOutboxItem(item.clientId))}>
                Remove
              </Button>
              {item.imageLost ? (
                // Retrying would send the caption without the image the user meant to send.
                item.text && (
                  <Button size="sm" onClick={() => dispatch(sendTextOnly(item.clientId))}>
                    Send text only
                  </Button>
                )
              ) : (
                <Button size="sm" onClick={() => dispatch(retryOutboxItem(item.clientId))}>
                  Retry
                </Button>
              )}
            </div>
          </div>
        ) : (
          item.status !== 'uploading' && (
            <p className="flex items-center justify-end gap-1 text-xs text-ink-muted">
              {!online && item.status === 'queued' && <span>Sends when you are back online</span>}
              <MessageStatus status={status} />
            </p>
          )
        )}
      </div>
    </div>
  )
}
