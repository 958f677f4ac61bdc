/**
 * The jupyterlab-pvw server extension's endpoints, as seen from the browser.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ISessionInfo, parseSessions } from './sessions';

/**
 * List the live engine sessions (`GET <base_url>pvw/sessions`).
 *
 * @throws ServerConnection.ResponseError on an HTTP error, ServerConnection.NetworkError when
 *   the server cannot be reached, TypeError on a malformed reply
 */
export async function fetchSessions(settings: ServerConnection.ISettings): Promise<ISessionInfo[]> {
  const url = URLExt.join(settings.baseUrl, 'pvw', 'sessions');
  const response = await ServerConnection.makeRequest(url, { method: 'GET' }, settings);
  if (!response.ok) {
    throw await ServerConnection.ResponseError.create(response);
  }
  return parseSessions(await response.json());
}

/**
 * The WebSocket URL of a session's proxy. The token goes into the query as JupyterLab does for
 * kernel sockets (`appendToken`: cross-origin deployments); same-origin, the cookie suffices.
 */
export function sessionSocketUrl(settings: ServerConnection.ISettings, sessionId: string): string {
  const url = URLExt.join(settings.wsUrl, 'pvw', 'sessions', encodeURIComponent(sessionId), 'ws');
  return settings.appendToken && settings.token
    ? `${url}?token=${encodeURIComponent(settings.token)}`
    : url;
}
