import { Navigate, Outlet, useLocation } from 'react-router'
import { selectIsAuthenticated } from '../features/auth/index.js'
import { useAppSelector } from './hooks.js'

/** Routes for signed-in users; others go to /login and come back afterwards. */
export function RequireAuth() {
  const authenticated = useAppSelector(selectIsAuthenticated)
  const location = useLocation()
  if (!authenticated) return <Navigate to="/login" replace state={{ from: location }} />
  return <Outlet />
}

function returnPath(from) {
  if (!from?.pathname || from.pathname === '/login' || from.pathname === '/signup') return '/chat'
  return `${from.pathname}${from.search ?? ''}${from.hash ?? ''}`
}

/** Routes for signed-out users (login, signup); a session sends you on. */
export function PublicOnly() {
  const authenticated = useAppSelector(selectIsAuthenticated)
  const location = useLocation()
  if (authenticated) return <Navigate to={returnPath(location.state?.from)} replace />
  return <Outlet />
}

export function HomeRedirect() {
  const authenticated = useAppSelector(selectIsAuthenticated)
  return <Navigate to={authenticated ? '/chat' : '/login'} replace />
}
