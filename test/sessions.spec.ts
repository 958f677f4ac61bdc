import {
  describeSession,
  ISessionInfo,
  orderSessions,
  parseSessions,
  sessionOfKernel
} from '../src/sessions';

function session(
  id: string,
  kernel: string | null,
  created: number,
  extra: Partial<ISessionInfo> = {}
) {
  return {
    id,
    host: '127.0.0.1',
    port: 4000,
    name: 'notebook',
    kernel_id: kernel,
    pid: 10,
    ranks: 2,
    created,
    ...extra
  };
}

describe('parseSessions', () => {
  it('reads the server reply', () => {
    const reply = { version: '0.1.0', sessions: [session('a1', 'k1', 5)] };
    expect(parseSessions(reply)).toEqual([session('a1', 'k1', 5)]);
  });

  it('skips malformed entries and normalises optional fields', () => {
    const reply = {
      sessions: [
        null,
        { id: '../../etc' },
        { id: 42 },
        { id: 'ok_1', kernel_id: '', ranks: 'x' },
        session('b2', null, 1)
      ]
    };
    const parsed = parseSessions(reply);
    expect(parsed.map(s => s.id)).toEqual(['ok_1', 'b2']);
    expect(parsed[0]).toMatchObject({ kernel_id: null, ranks: 1, name: '', pid: null });
  });

  it('refuses a reply that is no session list', () => {
    expect(() => parseSessions({})).toThrow(TypeError);
    expect(() => parseSessions(null)).toThrow(/session list/);
  });
});

describe('orderSessions', () => {
  const sessions = [
    session('old-mine', 'k1', 100),
    session('other', 'k2', 300),
    session('outside', null, 250),
    session('new-mine', 'k1', 200)
  ];

  it("lists the current kernel's sessions first, each group newest first", () => {
    expect(orderSessions(sessions, 'k1').map(s => s.id)).toEqual([
      'new-mine',
      'old-mine',
      'other',
      'outside'
    ]);
  });

  it('lists newest first without a current kernel', () => {
    expect(orderSessions(sessions, null).map(s => s.id)).toEqual([
      'other',
      'outside',
      'new-mine',
      'old-mine'
    ]);
  });

  it('does not modify its input', () => {
    const copy = [...sessions];
    orderSessions(sessions, 'k2');
    expect(sessions).toEqual(copy);
  });
});

describe('sessionOfKernel', () => {
  it("is the kernel's newest session, or null", () => {
    const sessions = [session('a', 'k1', 1), session('b', 'k1', 2), session('c', 'k2', 3)];
    expect(sessionOfKernel(sessions, 'k1')?.id).toBe('b');
    expect(sessionOfKernel(sessions, 'k3')).toBeNull();
    expect(sessionOfKernel(sessions, null)).toBeNull();
  });
});

describe('describeSession', () => {
  it('names the ranks and where the session came from', () => {
    expect(describeSession(session('s1', 'k1', 1), 'k1')).toEqual({
      title: 'notebook',
      detail: "2 ranks · this notebook's kernel · s1"
    });
    expect(describeSession(session('s2', null, 1, { ranks: 1, name: '' }), 'k1')).toEqual({
      title: 'simulation',
      detail: '1 rank · started outside Jupyter · s2'
    });
    expect(describeSession(session('s3', 'abcdef0123456789', 1), 'k1').detail).toBe(
      '2 ranks · kernel abcdef01 · s3'
    );
  });
});
