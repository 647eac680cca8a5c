import { Suspense, lazy } from 'react'
import { useRoutes } from 'react-router'
import { AuthForm, selectCurrentUser, userUpdated } from '../features/auth/index.js'
import { ProfilePage } from '../features/profile/ProfilePage.jsx'
import { HomeRedirect, PublicOnly, RequireAuth } from './guards.jsx'
import { useAppDispatch, useAppSelector } from './hooks.js'
import { AppShell, PublicLayout } from './layouts.jsx'
import { ErrorBoundary, NotFoundPage, PageLoading } from './pages.jsx'

// Pages that will grow heavy (chat with the socket, calls with WebRTC) load
// lazily, in their own chunks.
const ChatPage = lazy(() => import('../features/chat/ChatPage.jsx').then((m) => ({ default: m.ChatPage })))
const CallPage = lazy(() => import('../features/call/CallPage.jsx').then((m) => ({ default: m.CallPage })))

function Lazy({ children }) {
  return (
    <ErrorBoundary>
      <Suspense fallback={<PageLoading />}>{children}</Suspense>
    </ErrorBoundary>
  )
}

// The app layer composes features: the profile page gets the session's user
// and reports saves back, without importing the auth feature itself.
function ProfileRoute() {
  const user = useAppSelector(selectCurrentUser)
  const dispatch = useAppDispatch()
  return <ProfilePage key={user?.id} user={user} onSaved={(saved) => dispatch(userUpdated(saved))} />
}

/**
 * Every route of the app. React Router's declarative mode (a <BrowserRouter>
 * in main.jsx, a <MemoryRouter> in tests) is enough while RTK Query owns the
 * server data, and is about 16 kB gzip lighter than the data router.
 */
export const routes = [
  { index: true, element: <HomeRedirect /> },
  {
    element: <PublicOnly />,
    children: [
      {
        element: <PublicLayout />,
        children: [
          { path: 'login', element: <AuthForm mode="login" /> },
          { path: 'signup', element: <AuthForm mode="signup" /> },
        ],
      },
    ],
  },
  {
    element: <RequireAuth />,
    children: [
      {
        element: <AppShell />,
        children: [
          { path: 'chat/:peerId?', element: <Lazy><ChatPage /></Lazy> },
          { path: 'call/:peerId', element: <Lazy><CallPage /></Lazy> },
          { path: 'profile', element: <ProfileRoute /> },
        ],
      },
    ],
  },
  { path: '*', element: <NotFoundPage /> },
]

export function AppRoutes() {
  return useRoutes(routes)
}
