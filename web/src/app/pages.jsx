import { Component } from 'react'
import { Link } from 'react-router'
import { Button, Spinner, buttonClasses } from '../components/ui/index.js'
import { useDocumentTitle } from '../lib/useDocumentTitle.js'

export function NotFoundPage() {
  useDocumentTitle('Page not found')
  return (
    <main id="main" className="mx-auto max-w-md space-y-4 px-4 py-16 text-center">
      <h1 className="text-2xl font-bold">Page not found</h1>
      <p className="text-ink-muted">There is nothing at this address.</p>
      <Link to="/" className={buttonClasses()}>
        Go to Samwaad
      </Link>
    </main>
  )
}

export function PageLoading() {
  return (
    <p role="status" className="flex items-center justify-center gap-2 p-10 text-ink-muted">
      <Spinner />
      Loading…
    </p>
  )
}

/**
 * Catches render errors of a page, including a lazy page whose chunk no
 * longer exists after an upgrade; reloading fixes both.
 */
export class ErrorBoundary extends Component {
  state = { error: null }

  static getDerivedStateFromError(error) {
    return { error }
  }

  componentDidCatch(error, info) {
    console.error('Page failed', error, info.componentStack)
  }

  render() {
    if (!this.state.error) return this.props.children
    return (
      <div role="alert" className="mx-auto max-w-md space-y-4 py-10 text-center">
        <h1 className="text-2xl font-bold">Something went wrong</h1>
        <p className="text-ink-muted">This page could not be shown. Reloading usually helps.</p>
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </div>
    )
  }
}
