import { Link } from 'react-router'
import { ArrowLeftIcon, Avatar, VideoIcon, buttonClasses } from '../../components/ui/index.js'
import { PresenceAvatar, PresenceLabel } from './PresenceLabel.jsx'
import { usePeerTyping } from './useTyping.js'

/** Who this conversation is with, whether they are online or typing, and a call button. */
export function ThreadHeader({ peerId, peer }) {
  const typing = usePeerTyping(peerId)
  const name = peer?.name ?? '…'
  return (
    <header className="flex items-center gap-3 border-b border-line px-3 py-2.5 sm:px-4">
      <Link
        to="/chat"
        className={buttonClasses({ variant: 'ghost', size: 'sm', className: 'px-2 md:hidden' })}
        aria-label="Back to conversations"
      >
        <ArrowLeftIcon />
      </Link>
      <PresenceAvatar user={peer}>
        <Avatar user={peer} />
      </PresenceAvatar>
      <div className="min-w-0 flex-1">
        <h2 className="truncate font-semibold" data-testid="thread-peer-name">
          {name}
        </h2>
        <p className="min-h-5 text-xs" aria-live="polite" data-testid="thread-peer-status">
          {typing ? <span className="font-medium text-accent">typing…</span> : peer && <PresenceLabel user={peer} />}
        </p>
      </div>
      <Link
        to={`/call/${peerId}`}
        state={{ start: true }}
        className={buttonClasses({ variant: 'secondary', size: 'sm' })}
        aria-label={`Video call ${name}`}
      >
        <VideoIcon />
        <span className="hidden sm:inline">Call</span>
      </Link>
    </header>
  )
}
