import { Provider } from 'react-redux'

/** Everything the app runs inside, in one place (tests use it too). */
export function AppProviders({ store, children }) {
  return <Provider store={store}>{children}</Provider>
}
