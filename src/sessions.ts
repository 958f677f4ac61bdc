/**
 * The engine sessions the Jupyter server proxies to, as listed by `GET <base_url>pvw/sessions`.
 *
 * Pure: parsing and ordering only; the request itself is in `api.ts`.
 */

/**
 * One session (the server never sends its secret).
 */
export interface ISessionInfo {
  /** The proxy id: `<base_url>pvw/sessions/<id>/ws`. */
  readonly id: string;
  /** Where rank 0 listens (as seen from the Jupyter server). */
  readonly host: string;
  readonly port: number;
  /** A label given by whoever started it (`notebook` for `%pvw start`). */
  readonly name: string;
  /** The kernel that started it, or `null` for a simulation started outside Jupyter. */
  readonly kernel_id: string | null;
  /** The process that announced it. */
  readonly pid: number | null;
  /** MPI ranks of the engine. */
  readonly ranks: number;
  /** When it was announced (seconds since the epoch). */
  readonly created: number;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Check the body of `GET pvw/sessions`.
 *
 * @param body - the parsed JSON reply
 * @returns the well-formed sessions; malformed entries are skipped
 * @throws TypeError when the body is not a session list at all
 */
export function parseSessions(body: unknown): ISessionInfo[] {
  const sessions = (body as { sessions?: unknown } | null)?.sessions;
  if (!Array.isArray(sessions)) {
    throw new TypeError('the server did not answer with a session list');
  }
  const parsed: ISessionInfo[] = [];
  for (const entry of sessions) {
    if (!entry || typeof entry !== 'object') {
      continue;
    }
    const s = entry as Record<string, unknown>;
    if (typeof s.id !== 'string' || !SESSION_ID.test(s.id)) {
      continue;
    }
    parsed.push({
      id: s.id,
      host: typeof s.host === 'string' ? s.host : '',
      port: Number(s.port) || 0,
      name: typeof s.name === 'string' ? s.name : '',
      kernel_id: typeof s.kernel_id === 'string' && s.kernel_id ? s.kernel_id : null,
      pid: typeof s.pid === 'number' ? s.pid : null,
      ranks: Number(s.ranks) || 1,
      created: Number(s.created) || 0
    });
  }
  return parsed;
}

/**
 * Sessions in the order the panel lists them: those started by `kernelId` first, then the
 * rest; within each group the newest first.
 *
 * @param sessions - the sessions, in any order (not modified)
 * @param kernelId - the current notebook's kernel id, or `null`
 */
export function orderSessions(
  sessions: readonly ISessionInfo[],
  kernelId: string | null
): ISessionInfo[] {
  const own = (s: ISessionInfo) => (kernelId !== null && s.kernel_id === kernelId ? 0 : 1);
  return [...sessions].sort(
    (a, b) => own(a) - own(b) || b.created - a.created || a.id.localeCompare(b.id)
  );
}

/**
 * The session a kernel started most recently, if any.
 */
export function sessionOfKernel(
  sessions: readonly ISessionInfo[],
  kernelId: string | null
): ISessionInfo | null {
  if (kernelId === null) {
    return null;
  }
  const own = orderSessions(sessions, kernelId).filter(s => s.kernel_id === kernelId);
  return own.length ? own[0] : null;
}

/**
 * How the panel describes a session: name, ranks and where it came from.
 */
export function describeSession(
  session: ISessionInfo,
  kernelId: string | null
): { title: string; detail: string } {
  const title = session.name || 'simulation';
  const ranks = `${session.ranks} rank${session.ranks === 1 ? '' : 's'}`;
  const origin =
    session.kernel_id === null
      ? 'started outside Jupyter'
      : session.kernel_id === kernelId
        ? "this notebook's kernel"
        : `kernel ${session.kernel_id.slice(0, 8)}`;
  return { title, detail: `${ranks} · ${origin} · ${session.id}` };
}
