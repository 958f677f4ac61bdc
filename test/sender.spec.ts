import { CoalescingSender } from '../src/sender';

/** A send function whose calls complete only when the test says so. */
function controlledSend() {
  const sent: string[] = [];
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const send = (message: string) => {
    sent.push(message);
    return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  };
  const settle = async (fail = false) => {
    const next = pending.shift()!;
    if (fail) {
      next.reject(new Error('refused'));
    } else {
      next.resolve();
    }
    // Let the sender's promise chain run.
    for (let i = 0; i < 5; i++) {
      await Promise.resolve();
    }
  };
  return { sent, send, settle };
}

// Moves ("m:x") merge, newest wins; anything else is sent as it is.
const merge = (queued: string, next: string) =>
  queued.startsWith('m:') && next.startsWith('m:') ? next : null;

describe('CoalescingSender', () => {
  it('sends at once when idle, then one message at a time', async () => {
    const { sent, send, settle } = controlledSend();
    const sender = new CoalescingSender(send, merge);
    sender.push('down');
    expect(sent).toEqual(['down']);
    sender.push('m:1');
    expect(sent).toEqual(['down']);
    expect(sender.busy).toBe(true);
    await settle();
    expect(sent).toEqual(['down', 'm:1']);
    await settle();
    expect(sender.busy).toBe(false);
  });

  it('lets the newest waiting move win', async () => {
    const { sent, send, settle } = controlledSend();
    const sender = new CoalescingSender(send, merge);
    sender.push('down');
    for (const x of [1, 2, 3, 4]) {
      sender.push(`m:${x}`);
    }
    expect(sender.waiting).toEqual(['m:4']);
    await settle();
    expect(sent).toEqual(['down', 'm:4']);
  });

  it('keeps order and never merges across a release', async () => {
    const { sent, send, settle } = controlledSend();
    const sender = new CoalescingSender(send, merge);
    sender.push('down');
    sender.push('m:1');
    sender.push('m:2');
    sender.push('up');
    sender.push('m:3');
    expect(sender.waiting).toEqual(['m:2', 'up', 'm:3']);
    for (let i = 0; i < 3; i++) {
      await settle();
    }
    expect(sent).toEqual(['down', 'm:2', 'up', 'm:3']);
  });

  it('goes on after a failed send and reports it', async () => {
    const { sent, send, settle } = controlledSend();
    const errors: unknown[] = [];
    const sender = new CoalescingSender(send, merge, e => errors.push(e));
    sender.push('down');
    sender.push('up');
    await settle(true);
    expect(errors).toHaveLength(1);
    expect(sent).toEqual(['down', 'up']);
  });

  it('treats a send that throws like a failed one', async () => {
    const errors: unknown[] = [];
    const sent: string[] = [];
    const sender = new CoalescingSender<string>(
      m => {
        sent.push(m);
        if (m === 'bad') {
          throw new Error('sync');
        }
        return Promise.resolve();
      },
      merge,
      e => errors.push(e)
    );
    sender.push('bad');
    sender.push('good');
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
    expect(sent).toEqual(['bad', 'good']);
    expect(errors).toHaveLength(1);
  });

  it('sends nothing more once disposed; clear drops only what waits', async () => {
    const { sent, send, settle } = controlledSend();
    const sender = new CoalescingSender(send, merge);
    sender.push('down');
    sender.push('up');
    sender.clear();
    await settle();
    expect(sent).toEqual(['down']);
    sender.push('again');
    expect(sent).toEqual(['down', 'again']);
    sender.dispose();
    sender.push('late');
    await settle();
    expect(sent).toEqual(['down', 'again']);
  });
});
