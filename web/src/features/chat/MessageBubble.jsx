import { PhoneIcon, cx } from '../../components/ui/index.js'
import { formatClock } from '../../lib/time.js'
import { describeCall, isMissedCall } from './callRecords.js'
import { MessageStatus, statusOf } from './MessageStatus.jsx'

/** The thumbnail of an image message; opens the full picture. */
function Thumbnail({ image, alt, onOpen }) {
  const ratio = image.width && image.height ? image.width / image.height : 1
  // Reserve the thumbnail's box before it loads so the list does not jump.
  const width = Math.round(Math.min(240, 240 * ratio))
  const height = Math.round(width / ratio)
  return (
    <button type="button" onClick={onOpen} className="block overflow-hidden rounded-lg" aria-label={`Open image: ${alt}`}>
      <img src={image.thumbnailUrl ?? image.url} alt="" width={width} height={height} loading="lazy" className="block max-w-full object-cover" />
    </button>
  )
}

function CallRecord({ message, peerId }) {
  const missed = isMissedCall(message.call, peerId)
  return (
    <div className="flex justify-center" data-testid="call-record">
      <p className={cx('inline-flex items-center gap-2 rounded-full border border-line bg-panel px-3 py-1 text-sm', missed ? 'text-danger' : 'text-ink-muted')}>
        <PhoneIcon className="size-4" />
        <span>{describeCall(message.call, peerId)}</span>
        <time dateTime={message.createdAt} className="text-xs">
          {formatClock(message.createdAt)}
        </time>
      </p>
    </div>
  )
}

/** One message: text and/or picture, its time, and (for ours) the ticks. */
export function MessageBubble({ message, peerId, peerName, onOpenImage }) {
  if (message.call) return <CallRecord message={message} peerId={peerId} />
  const mine = message.from !== peerId
  const alt = message.text ? `Photo: ${message.text}` : `Photo from ${mine ? 'you' : peerName}`
  return (
    <div className={cx('flex', mine ? 'justify-end' : 'justify-start')}>
      <div
        className={cx(
          'max-w-[85%] space-y-1 rounded-2xl px-3 py-2 shadow-sm sm:max-w-[70%]',
          mine ? 'rounded-br-sm bg-bubble-mine' : 'rounded-bl-sm border border-line bg-panel',
        )}
      >
        <span className="sr-only">{mine ? 'You:' : `${peerName}:`}</span>
        {message.image && <Thumbnail image={message.image} alt={alt} onOpen={() => onOpenImage(message.image, alt)} />}
        {message.text && <p className="break-words whitespace-pre-wrap">{message.text}</p>}
        <p className="flex items-center justify-end gap-1 text-xs text-ink-muted">
          <time dateTime={message.createdAt}>{formatClock(message.createdAt)}</time>
          {mine && <MessageStatus status={statusOf(message)} />}
        </p>
      </div>
    </div>
  )
}
