/**
 * Web mode's access token, per tab. `cohort serve` prints the page's address with the token in
 * its fragment (`#token=…`, never sent to any server; `?token=` works too). The page takes it
 * once, keeps it in sessionStorage (this origin, port included, this tab only) and removes it
 * from the address bar and history, so it is not left in bookmarks, shared links or screenshots.
 */
const KEY = 'cohort.token'

/** The token of this tab: from the address (which is then cleaned) or from earlier in the session. */
export function takeAccessToken(
  location: Location = window.location,
  storage: Storage = window.sessionStorage,
  history: History = window.history,
): string | null {
  const url = new URL(location.href)
  const fragment = new URLSearchParams(url.hash.slice(1))
  const offered = fragment.get('token') ?? url.searchParams.get('token')
  if (offered) {
    storage.setItem(KEY, offered)
    fragment.delete('token')
    url.searchParams.delete('token')
    url.hash = fragment.toString()
    history.replaceState(history.state, '', url.href)
  }
  return storage.getItem(KEY)
}

/**
 * Opening the printed address in a tab already showing Cohort changes only the fragment, which
 * does not reload the page: take the (possibly new) token and start afresh with it.
 */
export function reloadOnNewToken(): void {
  window.addEventListener('hashchange', () => {
    if (!new URLSearchParams(window.location.hash.slice(1)).has('token')) return
    takeAccessToken()
    window.location.reload()
  })
}

export const NO_TOKEN_MESSAGE =
  'Open the address cohort serve printed: it carries the access token for this tab.'
