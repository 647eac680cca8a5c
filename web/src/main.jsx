import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router'
import { setupListeners } from '@reduxjs/toolkit/query'
import { AppProviders } from './app/providers.jsx'
import { AppRoutes } from './app/router.jsx'
import { followOtherTabs, makeStore } from './app/store.js'
import { ErrorBoundary } from './app/pages.jsx'
import './index.css'

const store = makeStore()
setupListeners(store.dispatch) // refetch on focus / reconnect where endpoints ask for it
followOtherTabs(store)

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <ErrorBoundary>
      <AppProviders store={store}>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </AppProviders>
    </ErrorBoundary>
  </StrictMode>,
)
