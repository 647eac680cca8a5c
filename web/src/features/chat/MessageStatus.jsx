import { CheckIcon, ClockIcon, DoubleCheckIcon, cx } from '../../components/ui/index.js'

const LABELS = {
  waiting: 'Waiting for connection',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
}

/** The tick state of one of this user's messages. */
export function statusOf(message) {
  if (message.read) return 'read'
  if (message.delivered) return 'delivered'
  return 'sent'
}

/** Sent ✓, delivered ✓✓, read ✓✓ (coloured), or a clock while not sent yet. */
export function MessageStatus({ status, className }) {
  const Icon = status === 'sent' ? CheckIcon : status === 'delivered' || status === 'read' ? DoubleCheckIcon : ClockIcon
  return (
    <span className={cx('inline-flex items-center', status === 'read' ? 'text-read' : 'text-ink-muted', className)} title={LABELS[status]}>
      <Icon className={status === 'sent' || status === 'delivered' || status === 'read' ? 'h-4 w-5' : 'size-3.5'} />
      <span className="sr-only">{LABELS[status]}</span>
    </span>
  )
}
