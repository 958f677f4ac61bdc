/**
 * Running one magic line in a notebook kernel and collecting what it prints.
 *
 * Only types are imported from @jupyterlab/services, so this module runs (and is tested)
 * without a JupyterLab runtime.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';

/**
 * The part of a kernel connection this module needs.
 */
export type IExecutor = Pick<Kernel.IKernelConnection, 'requestExecute'>;

/**
 * An execution that the kernel answered with an error (or aborted).
 */
export class KernelExecutionError extends Error {
  /**
   * @param ename - the exception name reported by the kernel
   * @param evalue - the exception message reported by the kernel
   * @param output - what the code printed before failing
   */
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly output: string
  ) {
    super(evalue ? `${ename}: ${evalue}` : ename);
    this.name = 'KernelExecutionError';
  }
}

/**
 * Execute code in a kernel, outside any notebook cell.
 *
 * @param kernel - the kernel to run the code in
 * @param code - the code, typically one `%pvw` line from `kernelcode.ts`
 * @returns the text the code printed or returned (streams, `text/plain` results)
 * @throws KernelExecutionError when the reply status is `error` or `abort`; other errors
 *   (kernel disposed or restarted mid-request) propagate as they are
 */
export async function executeCode(kernel: IExecutor, code: string): Promise<string> {
  const future = kernel.requestExecute({
    code,
    silent: false,
    store_history: false,
    // No cell shows an input box for this request, so a prompt would hang the kernel.
    allow_stdin: false,
    // A failing command must not abort the cells the user has queued.
    stop_on_error: false
  });
  const output: string[] = [];
  future.onIOPub = msg => {
    const text = outputText(msg);
    if (text) {
      output.push(text);
    }
  };
  const reply = await future.done;
  const content = reply.content;
  if (content.status === 'error') {
    throw new KernelExecutionError(content.ename, content.evalue, output.join(''));
  }
  if (content.status === 'abort') {
    throw new KernelExecutionError('Aborted', 'the kernel aborted the request', output.join(''));
  }
  return output.join('');
}

/**
 * The printable text of an IOPub message: stream text or the `text/plain` form of a result.
 *
 * @param msg - any IOPub message
 * @returns the text, or an empty string for messages that carry none (status, errors, ...)
 */
export function outputText(msg: KernelMessage.IIOPubMessage): string {
  switch (msg.header.msg_type) {
    case 'stream':
      return (msg as KernelMessage.IStreamMsg).content.text;
    case 'execute_result':
    case 'display_data': {
      const data = (msg as KernelMessage.IDisplayDataMsg).content.data;
      const plain = data['text/plain'];
      const text = Array.isArray(plain) ? plain.join('') : typeof plain === 'string' ? plain : '';
      // Results carry no trailing newline; add one so consecutive outputs stay on their lines.
      return text && !text.endsWith('\n') ? `${text}\n` : text;
    }
    default:
      return '';
  }
}
