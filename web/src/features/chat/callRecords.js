import { formatDuration } from '../../lib/time.js'

/**
 * How a call record (a message whose `call` is set) reads in a conversation
 * with `peerId`, from this user's side: the callee of a missed call "missed"
 * it, the caller got "no answer".
 */
export function describeCall(call, peerId) {
  const incoming = call.caller === peerId
  switch (call.outcome) {
    case 'answered':
      return `Video call, ${formatDuration(call.duration ?? 0)}`
    case 'missed':
      return incoming ? 'Missed video call' : 'Video call, no answer'
    case 'declined':
      return incoming ? 'Declined video call' : 'Video call declined'
    case 'busy':
      return incoming ? 'Missed video call (you were on another call)' : 'Video call, busy'
    case 'failed':
      return 'Video call failed'
    default:
      return 'Video call'
  }
}

/** Whether the record deserves attention (red): a call this user missed. */
export function isMissedCall(call, peerId) {
  return call.caller === peerId && (call.outcome === 'missed' || call.outcome === 'busy')
}

/** One line for the conversation list. */
export function previewOf(message, peerId) {
  if (!message) return ''
  if (message.call) return describeCall(message.call, peerId)
  if (message.image) return message.text ? `Photo: ${message.text}` : 'Photo'
  return message.text ?? ''
}
