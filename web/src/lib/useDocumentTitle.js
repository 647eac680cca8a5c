import { useEffect } from 'react'

export const APP_NAME = 'Samwaad'

/** Sets `<title>` to "<page> · Samwaad" while the component is mounted. */
export function useDocumentTitle(page) {
  useEffect(() => {
    const previous = document.title
    document.title = page ? `${page} · ${APP_NAME}` : APP_NAME
    return () => {
      document.title = previous
    }
  }, [page])
}
