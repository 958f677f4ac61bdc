import { IReconnectorOptions, Reconnector } from '../src/reconnect';

/**
 * A reconnector whose attempts fail or succeed as the test scripts them.
 */
function scripted(outcomes: ('ok' | 'fail')[], gone: boolean | (() => boolean) = false) {
  const log: string[] = [];
  const options: IReconnectorOptions = {
    connect: () => {
      const outcome = outcomes.shift() ?? 'fail';
      log.push(`attempt:${outcome}`);
      return outcome === 'ok' ? Promise.resolve() : Promise.reject(new Error('refused'));
    },
    isGone: async () => (typeof gone === 'function' ? gone() : gone),
    onRetry: delay => log.push(`retry:${delay}`),
    onGiveUp: (reason, wasConnected) =>
      log.push(`gave-up:${(reason as Error).message}${wasConnected ? ':was-connected' : ''}`)
  };
  return { log, options };
}

/** Run the microtasks of an attempt (connect, isGone, scheduling). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

/** Advance fake time and let the attempt it starts settle. */
async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await settle();
}

describe('Reconnector', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('attempts at once on start and stays quiet after a success', async () => {
    const { log, options } = scripted(['ok']);
    const r = new Reconnector(options);
    r.start();
    await settle();
    expect(log).toEqual(['attempt:ok']);
    expect(r.failures).toBe(0);
    await advance(60_000);
    expect(log).toEqual(['attempt:ok']);
  });

  it('backs off exponentially from 0.5 s to at most 10 s', async () => {
    const { log, options } = scripted([]);
    const r = new Reconnector(options);
    r.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const retry = log.filter(l => l.startsWith('retry:')).pop()!;
      delays.push(Number(retry.slice('retry:'.length)));
      await advance(delays[delays.length - 1]);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
    expect(r.failures).toBe(8);
  });

  it('does not attempt before the delay has passed', async () => {
    const { log, options } = scripted(['fail', 'ok']);
    new Reconnector(options).start();
    await settle();
    await advance(499);
    expect(log).toEqual(['attempt:fail', 'retry:500']);
    await advance(1);
    expect(log).toEqual(['attempt:fail', 'retry:500', 'attempt:ok']);
  });

  it('resets the backoff after a successful connection', async () => {
    const { log, options } = scripted(['fail', 'fail', 'ok', 'fail']);
    const r = new Reconnector(options);
    r.start();
    await settle();
    await advance(500);
    await advance(1000);
    expect(log.slice(-1)).toEqual(['attempt:ok']);
    expect(r.delayMs).toBe(500);
    r.lost(new Error('engine stopped'));
    expect(log.slice(-1)).toEqual(['retry:500']);
    await advance(500);
    expect(log.slice(-2)).toEqual(['attempt:fail', 'retry:1000']);
  });

  it('gives up with the reason after 3 failures while the session is gone', async () => {
    const { log, options } = scripted([], true);
    const r = new Reconnector(options);
    r.start();
    await settle();
    await advance(500);
    await advance(1000);
    expect(log).toEqual([
      'attempt:fail',
      'retry:500',
      'attempt:fail',
      'retry:1000',
      'attempt:fail',
      'gave-up:refused'
    ]);
    expect(r.gaveUp).toBe(true);
    await advance(60_000);
    expect(log).toHaveLength(6);
    r.lost();
    await advance(60_000);
    expect(log).toHaveLength(6);
  });

  it('gives up at once when a session it was connected to is no longer listed', async () => {
    let gone = false;
    const { log, options } = scripted(['ok'], () => gone);
    const r = new Reconnector(options);
    r.start();
    await settle();
    gone = true; // the owner stopped it: unlisted when the socket closes
    r.lost(new Error('closed'));
    await settle();
    expect(log).toEqual(['attempt:ok', 'retry:500', 'gave-up:closed:was-connected']);
    await advance(60_000);
    expect(log).toHaveLength(3);
  });

  it('gives up at the first failed retry when the session is unlisted after the close', async () => {
    let gone = false;
    const { log, options } = scripted(['ok'], () => gone);
    const r = new Reconnector(options);
    r.start();
    await settle();
    r.lost(new Error('closed')); // still listed: the owner unlists it a moment later
    await settle();
    gone = true;
    await advance(500);
    expect(log).toEqual([
      'attempt:ok',
      'retry:500',
      'attempt:fail',
      'gave-up:refused:was-connected'
    ]);
  });

  it('counts only consecutive failures with the session gone', async () => {
    const answers = [true, true, false, true, true, true];
    const { log, options } = scripted([], () => answers.shift() ?? true);
    new Reconnector(options).start();
    await settle();
    for (const delay of [500, 1000, 2000, 4000, 8000]) {
      await advance(delay);
    }
    expect(log.filter(l => l.startsWith('attempt'))).toHaveLength(6);
    expect(log[log.length - 1]).toBe('gave-up:refused');
  });

  it('keeps trying while it cannot tell whether the session is gone', async () => {
    const { log, options } = scripted([]);
    options.isGone = () => Promise.reject(new Error('server down'));
    new Reconnector(options).start();
    await settle();
    for (const delay of [500, 1000, 2000, 4000]) {
      await advance(delay);
    }
    expect(log.some(l => l.startsWith('gave-up'))).toBe(false);
    expect(log.filter(l => l.startsWith('attempt'))).toHaveLength(5);
  });

  it('start() after giving up tries again from the first delay', async () => {
    const { log, options } = scripted(['fail', 'fail', 'fail', 'fail', 'ok'], true);
    const r = new Reconnector({ ...options, maxGoneFailures: 2 });
    r.start();
    await settle();
    await advance(500);
    expect(r.gaveUp).toBe(true);
    r.start();
    await settle();
    expect(r.gaveUp).toBe(false);
    expect(log.slice(-2)).toEqual(['attempt:fail', 'retry:500']);
  });

  it('stops for good when disposed, even with an attempt in flight', async () => {
    const { log, options } = scripted([]);
    const r = new Reconnector(options);
    r.start();
    r.dispose();
    await settle();
    await advance(60_000);
    expect(log).toEqual(['attempt:fail']);
    r.start();
    r.lost();
    await advance(60_000);
    expect(log).toEqual(['attempt:fail']);
    expect(r.isDisposed).toBe(true);
  });

  it('honours custom delays', async () => {
    const { log, options } = scripted([]);
    new Reconnector({ ...options, initialDelayMs: 100, maxDelayMs: 250 }).start();
    await settle();
    await advance(100);
    await advance(200);
    await advance(250);
    expect(log.filter(l => l.startsWith('retry'))).toEqual([
      'retry:100',
      'retry:200',
      'retry:250',
      'retry:250'
    ]);
  });
});
