/**
 * The URL of a viewer link (see `viewerlink.ts`): `<base>/lab?pvw-session=<id>`.
 */

/** The query parameter of a viewer link. */
export const SESSION_PARAM = 'pvw-session';

/** The viewer link of `sessionId` on the server at `baseUrl` (absolute). */
export function viewerLink(sessionId: string, baseUrl: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return `${base}lab?${SESSION_PARAM}=${encodeURIComponent(sessionId)}`;
}

/** The session a URL's query (`?a=b&pvw-session=x`) names, or `null`. */
export function sessionOfSearch(search: string): string | null {
  return new URLSearchParams(search).get(SESSION_PARAM) || null;
}
