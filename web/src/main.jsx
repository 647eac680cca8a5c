import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router'
import { setupListeners } from '@reduxjs/toolkit/query'
import { AppProviders } from './app/providers.jsx'
import { createRealtime } from './app/realtime.js'
import { AppRoutes } from './app/router.jsx'
import { followOtherTabs, makeStore } from './app/store.js'
import { ErrorBoundary } from './app/pages.jsx'
import { callApi } from './features/call/callApi.js'
import { createCallClient } from './features/call/callClient.js'
import './index.css'

// The composition root: one realtime connection, one store, one call client.
const realtime = createRealtime()
const store = makeStore(undefined, { realtime })
realtime.start(store)
setupListeners(store.dispatch) // refetch on focus / reconnect where endpoints ask for it
followOtherTabs(store)

const callClient = createCallClient({
  store,
  realtime,
  getIceServers: async () => {
    const result = await store.dispatch(callApi.endpoints.iceServers.initiate(undefined, { subscribe: false, forceRefetch: true }))
    return result.data?.iceServers ?? []
  },
})

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <ErrorBoundary>
      <AppProviders store={store} callClient={callClient}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </AppProviders>
    </ErrorBoundary>
  </StrictMode>,
)
