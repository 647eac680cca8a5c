import { useId, useState } from 'react'
import { Link } from 'react-router'
import { skipToken } from '@reduxjs/toolkit/query/react'
import { Alert, Avatar, Spinner, VideoIcon, buttonClasses, controlClasses } from '../../components/ui/index.js'
import { parseApiError } from '../../lib/apiError.js'
import { useDebouncedValue } from '../../lib/useDebouncedValue.js'
import { useSearchUsersQuery } from './chatApi.js'

function StatusLabel({ status }) {
  const online = status === 'online'
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-ink-muted">
      <span aria-hidden="true" className={online ? 'size-2 rounded-full bg-success' : 'size-2 rounded-full bg-control'} />
      {online ? 'Online' : 'Offline'}
    </span>
  )
}

/** Find people by the start of their name or email (GET /users?q=), to message or call them. */
export function UserSearch() {
  const inputId = useId()
  const [text, setText] = useState('')
  const q = useDebouncedValue(text.trim(), 300)
  const { data: users, error, isFetching } = useSearchUsersQuery(q ? { q } : skipToken)
  const parsed = parseApiError(error)

  let status = null
  if (!q) status = 'Type the start of a name or email address.'
  else if (isFetching) status = 'Searching…'
  else if (users && users.length === 0) status = `No one found for “${q}”.`
  else if (users) status = `${users.length} ${users.length === 1 ? 'person' : 'people'} found.`

  const done = () => setText('')

  return (
    <section aria-labelledby={`${inputId}-heading`} className="space-y-2">
      <h2 id={`${inputId}-heading`} className="sr-only">
        Find people
      </h2>
      <form role="search" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={inputId} className="sr-only">
          Name or email
        </label>
        <input
          id={inputId}
          type="search"
          autoComplete="off"
          spellCheck={false}
          placeholder="Find people by name or email"
          value={text}
          onChange={(event) => setText(event.target.value)}
          className={controlClasses}
        />
      </form>

      <p role="status" className="flex items-center gap-2 text-xs text-ink-muted">
        {isFetching && <Spinner />}
        {status}
      </p>
      {parsed && <Alert tone="error">{parsed.message}</Alert>}

      {q && users?.length > 0 && (
        <ul className="max-h-72 divide-y divide-line overflow-y-auto rounded-xl border border-line bg-panel" aria-label="People found">
          {users.map((user) => (
            <li key={user.id} className="flex items-center gap-3 p-3">
              <Avatar user={user} size="sm" />
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm font-medium">{user.name}</p>
                <StatusLabel status={user.status} />
                {user.bio && <p className="truncate text-xs text-ink-muted">{user.bio}</p>}
              </div>
              <Link
                to={`/chat/${user.id}`}
                onClick={done}
                className={buttonClasses({ size: 'sm' })}
                aria-label={`Message ${user.name}`}
              >
                Message
              </Link>
              <Link
                to={`/call/${user.id}`}
                state={{ start: true }}
                className={buttonClasses({ variant: 'secondary', size: 'sm', className: 'px-2' })}
                aria-label={`Call ${user.name}`}
                title={`Video call ${user.name}`}
              >
                <VideoIcon />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
