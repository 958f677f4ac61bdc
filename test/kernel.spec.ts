import type { KernelMessage } from '@jupyterlab/services';

import { executeCode, IExecutor, KernelExecutionError, outputText } from '../src/kernel';

/**
 * An IOPub message with just the fields `outputText` reads.
 */
function iopub(msgType: string, content: object): KernelMessage.IIOPubMessage {
  return { header: { msg_type: msgType }, content } as unknown as KernelMessage.IIOPubMessage;
}

/**
 * A kernel that answers every request with the given IOPub messages and reply content,
 * delivered asynchronously like a real kernel.
 */
function fakeKernel(messages: KernelMessage.IIOPubMessage[], reply: object) {
  const requests: KernelMessage.IExecuteRequestMsg['content'][] = [];
  const kernel = {
    requestExecute(content: KernelMessage.IExecuteRequestMsg['content']) {
      requests.push(content);
      const future: any = { onIOPub: () => undefined };
      future.done = Promise.resolve().then(() => {
        for (const msg of messages) {
          future.onIOPub(msg);
        }
        return { content: reply };
      });
      return future;
    }
  } as unknown as IExecutor;
  return { kernel, requests };
}

describe('executeCode', () => {
  it('sends the code once, visibly but without history or stdin', async () => {
    const { kernel, requests } = fakeKernel([], { status: 'ok', execution_count: null });
    await executeCode(kernel, '%pvw status');
    expect(requests).toEqual([
      {
        code: '%pvw status',
        silent: false,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false
      }
    ]);
  });

  it('returns what the code printed, in order', async () => {
    const { kernel } = fakeKernel(
      [
        iopub('status', { execution_state: 'busy' }),
        iopub('stream', { name: 'stdout', text: 'engines: 2\n' }),
        iopub('stream', { name: 'stderr', text: 'warning: slow\n' }),
        iopub('execute_result', { data: { 'text/plain': "'ok'" }, metadata: {} }),
        iopub('status', { execution_state: 'idle' })
      ],
      { status: 'ok', execution_count: null }
    );
    await expect(executeCode(kernel, '%pvw status')).resolves.toBe(
      "engines: 2\nwarning: slow\n'ok'\n"
    );
  });

  it('throws the kernel error with its name, value and the output so far', async () => {
    const { kernel } = fakeKernel([iopub('stream', { name: 'stdout', text: 'starting\n' })], {
      status: 'error',
      ename: 'UsageError',
      evalue: 'Line magic function `%pvw` not found.',
      traceback: []
    });
    const failure = executeCode(kernel, '%pvw start -n 2');
    await expect(failure).rejects.toThrow(
      new KernelExecutionError('UsageError', 'Line magic function `%pvw` not found.', '')
    );
    const error: KernelExecutionError = await failure.catch(e => e);
    expect(error).toBeInstanceOf(KernelExecutionError);
    expect(error.message).toBe('UsageError: Line magic function `%pvw` not found.');
    expect(error.ename).toBe('UsageError');
    expect(error.output).toBe('starting\n');
  });

  it('treats an aborted request as an error', async () => {
    const { kernel } = fakeKernel([], { status: 'abort' });
    await expect(executeCode(kernel, '%pvw stop')).rejects.toBeInstanceOf(KernelExecutionError);
  });

  it('passes on a failure of the connection itself', async () => {
    const kernel = {
      requestExecute() {
        return { done: Promise.reject(new Error('Canceled future')) };
      }
    } as unknown as IExecutor;
    await expect(executeCode(kernel, '%pvw next')).rejects.toThrow('Canceled future');
  });
});

describe('outputText', () => {
  it('reads streams as they are', () => {
    expect(outputText(iopub('stream', { name: 'stdout', text: 'a\nb' }))).toBe('a\nb');
  });

  it('reads text/plain of results and displays, ending them with a newline', () => {
    expect(outputText(iopub('display_data', { data: { 'text/plain': 'x' } }))).toBe('x\n');
    expect(outputText(iopub('execute_result', { data: { 'text/plain': ['a', 'b\n'] } }))).toBe(
      'ab\n'
    );
  });

  it('returns nothing for messages without text', () => {
    expect(outputText(iopub('display_data', { data: { 'image/png': 'AAAA' } }))).toBe('');
    expect(outputText(iopub('status', { execution_state: 'idle' }))).toBe('');
    expect(outputText(iopub('error', { ename: 'E', evalue: 'v', traceback: [] }))).toBe('');
  });
});
