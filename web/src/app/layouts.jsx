import { Link, NavLink, Outlet } from 'react-router'
import { selectCurrentUser, useLogoutMutation, useMeQuery } from '../features/auth/index.js'
import { Avatar, Button, cx } from '../components/ui/index.js'
import { IncomingCallDialog } from '../features/call/IncomingCallDialog.jsx'
import { OngoingCallBar } from '../features/call/OngoingCallBar.jsx'
import { ConnectionBanner } from './ConnectionBanner.jsx'
import { useAppSelector } from './hooks.js'

function Brand({ to }) {
  return (
    <Link to={to} className="inline-flex items-center gap-2 rounded-md text-lg font-bold tracking-tight text-accent">
      <img src="/favicon.svg" alt="" className="size-7" />
      Samwaad
    </Link>
  )
}

function SkipLink() {
  return (
    <a
      href="#main"
      className="sr-only z-50 rounded-md bg-panel px-3 py-2 font-semibold text-ink focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
    >
      Skip to content
    </a>
  )
}

const navLinkClasses = ({ isActive }) =>
  cx(
    'rounded-md px-3 py-2 text-sm font-medium',
    isActive ? 'bg-accent-soft text-accent' : 'text-ink-muted hover:bg-canvas hover:text-ink',
  )

/**
 * The signed-in frame: header with navigation, the user's name and logout,
 * the connection banner, and what must show over any page (an incoming
 * call, the way back to a call in progress). The page scrolls inside
 * <main>, so the chat can fill the screen's height.
 */
export function AppShell() {
  const user = useAppSelector(selectCurrentUser)
  // Validates a token restored from storage and refreshes the user.
  useMeQuery()
  const [logout, { isLoading: loggingOut }] = useLogoutMutation()

  return (
    <div className="flex h-dvh flex-col">
      <SkipLink />
      <header className="shrink-0 border-b border-line bg-panel">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:gap-x-6">
          <Brand to="/chat" />
          <nav aria-label="Main" className="order-last w-full sm:order-none sm:w-auto">
            <ul className="flex gap-1">
              <li>
                <NavLink to="/chat" className={navLinkClasses}>
                  Chat
                </NavLink>
              </li>
              <li>
                <NavLink to="/profile" className={navLinkClasses}>
                  Profile
                </NavLink>
              </li>
            </ul>
          </nav>
          <div className="ml-auto flex min-w-0 items-center gap-3">
            {user && (
              <Link to="/profile" className="flex min-w-0 items-center gap-2 rounded-md" aria-label={`Your profile: ${user.name}`}>
                <span className="hidden sm:inline-flex">
                  <Avatar user={user} size="sm" />
                </span>
                <span className="max-w-24 truncate text-sm font-medium min-[400px]:max-w-36 sm:max-w-48" data-testid="current-user-name">
                  {user.name}
                </span>
              </Link>
            )}
            <Button variant="secondary" size="sm" loading={loggingOut} onClick={() => loggingOut || logout()}>
              Log out
            </Button>
          </div>
        </div>
      </header>
      <ConnectionBanner />
      <OngoingCallBar />
      <main id="main" tabIndex={-1} className="flex min-h-0 flex-1 flex-col overflow-y-auto">
        <div className="mx-auto flex min-h-0 w-full max-w-5xl flex-1 flex-col px-2 py-3 sm:px-4 sm:py-6">
          <Outlet />
        </div>
      </main>
      <IncomingCallDialog />
    </div>
  )
}

/** The signed-out frame around login and signup. */
export function PublicLayout() {
  return (
    <div className="flex min-h-dvh flex-col">
      <SkipLink />
      <header className="mx-auto w-full max-w-md px-4 pt-8 sm:pt-16">
        <Brand to="/" />
        <p className="mt-1 text-sm text-ink-muted">Chat and video calls on your own server.</p>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-md flex-1 px-4 py-6">
        <div className="rounded-2xl border border-line bg-panel p-5 shadow-sm sm:p-8">
          <Outlet />
        </div>
      </main>
    </div>
  )
}
