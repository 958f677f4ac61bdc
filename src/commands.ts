/**
 * The ParaViewWeb commands of the main plugin: the kernel commands send a `%pvw` line to the
 * current notebook's kernel and tell the user how it went; "Reset Camera" acts on the viewport
 * used last. ("Open Viewport Panel" belongs to the panel plugin.)
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { ReadonlyJSONValue } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { executeCode, KernelExecutionError } from './kernel';
import {
  datasetNameProblem,
  pvwActivateCode,
  pvwNextCode,
  pvwStartCode,
  pvwStatusCode,
  pvwStopCode,
  withExtension
} from './kernelcode';
import { CommandIDs, IPvwSettings, IPvwViewports } from './tokens';

/**
 * What the commands need from the application.
 */
export interface ICommandsOptions {
  /** The notebook tracker, or `null` when the notebook plugin is absent. */
  tracker: INotebookTracker | null;
  /** The current validated settings. */
  settings: () => IPvwSettings;
  /** The viewports; "Reset Camera" acts on the one used last. */
  viewports: IPvwViewports;
}

/**
 * The labels of the commands, as shown in the palette.
 */
export const COMMAND_LABELS: Readonly<Record<string, string>> = Object.freeze({
  [CommandIDs.start]: 'ParaViewWeb: Start Engines',
  [CommandIDs.stop]: 'ParaViewWeb: Stop Engines',
  [CommandIDs.status]: 'ParaViewWeb: Show Status',
  [CommandIDs.activate]: 'ParaViewWeb: Activate Dataset…',
  [CommandIDs.nextTimestep]: 'ParaViewWeb: Next Timestep',
  [CommandIDs.openPanel]: 'ParaViewWeb: Open Viewport Panel',
  [CommandIDs.resetCamera]: 'ParaViewWeb: Reset Camera',
  [CommandIDs.pauseRun]: 'ParaViewWeb: Pause the Run',
  [CommandIDs.stepRun]: 'ParaViewWeb: Step the Run',
  [CommandIDs.resumeRun]: 'ParaViewWeb: Resume the Run',
  [CommandIDs.copyViewerLink]: 'ParaViewWeb: Copy Viewer Link',
  [CommandIDs.openViewer]: 'ParaViewWeb: Open Viewer'
});

/**
 * How long (ms) toasts stay up. An explicit value is required: JupyterLab files notifications
 * without one silently in the notification centre.
 */
const SUCCESS_TOAST_MS = 5000;
const PROBLEM_TOAST_MS = 10000;

/** Timing of the progress toast (ms); see `ProgressToast`. */
const PROGRESS_DELAY_MS = 400;
const TOAST_RENDER_MS = 400;

/**
 * Register the ParaViewWeb commands.
 *
 * Each kernel command resolves to `true` when the kernel ran its magic line without error and
 * to `false` otherwise; failures are shown as notifications, never thrown.
 *
 * @param commands - the application's command registry
 * @param options - where the commands find the kernel and the settings
 */
export function addCommands(
  commands: JupyterFrontEnd['commands'],
  options: ICommandsOptions
): void {
  const { tracker, settings, viewports } = options;
  const run = (id: string, code: () => string) => runMagic(tracker, COMMAND_LABELS[id], code);

  commands.addCommand(CommandIDs.start, {
    label: COMMAND_LABELS[CommandIDs.start],
    caption: 'Start the MPI engines that run ParaView (%pvw start)',
    execute: () => run(CommandIDs.start, () => pvwStartCode(settings()))
  });

  commands.addCommand(CommandIDs.stop, {
    label: COMMAND_LABELS[CommandIDs.stop],
    caption: 'Stop the MPI engines (%pvw stop)',
    execute: () => run(CommandIDs.stop, pvwStopCode)
  });

  commands.addCommand(CommandIDs.status, {
    label: COMMAND_LABELS[CommandIDs.status],
    caption: 'Show the engines, the datasets and the viewer address (%pvw status)',
    execute: () => run(CommandIDs.status, pvwStatusCode)
  });

  commands.addCommand(CommandIDs.activate, {
    label: COMMAND_LABELS[CommandIDs.activate],
    caption: 'Choose the registered dataset to show (%pvw activate NAME)',
    execute: async () => {
      const label = COMMAND_LABELS[CommandIDs.activate];
      // Check the kernel first so the user is not asked for a name that cannot be used.
      if (!currentKernel(tracker, label)) {
        return false;
      }
      const result = await InputDialog.getText({
        title: 'Activate Dataset',
        label: 'Name given to pvw.register() in the simulation',
        placeholder: 'e.g. temperature',
        required: true
      });
      if (!result.button.accept || result.value === null) {
        return false;
      }
      const name = result.value.trim();
      const problem = datasetNameProblem(name);
      if (problem !== null) {
        showProblem(`${label}: ${problem}`);
        return false;
      }
      return run(CommandIDs.activate, () => pvwActivateCode(name));
    }
  });

  commands.addCommand(CommandIDs.nextTimestep, {
    label: COMMAND_LABELS[CommandIDs.nextTimestep],
    caption: 'Show the pending timestep on every rank (%pvw next)',
    describedBy: {
      args: {
        type: 'object',
        properties: {
          time: { type: 'number', minimum: 0, description: 'Simulation time of the new step' }
        }
      }
    },
    execute: args => run(CommandIDs.nextTimestep, () => pvwNextCode(args.time as number))
  });

  commands.addCommand(CommandIDs.resetCamera, {
    label: COMMAND_LABELS[CommandIDs.resetCamera],
    caption: 'Reset the camera of the ParaViewWeb viewport used last to show all the data',
    isEnabled: () => viewports.current !== null,
    execute: async () => {
      const viewport = viewports.current;
      if (!viewport) {
        return false;
      }
      await viewport.resetCamera();
      return true;
    }
  });
  viewports.currentChanged.connect(() => commands.notifyCommandChanged(CommandIDs.resetCamera));
  addRunCommands(commands, viewports);
}

/**
 * Pause, step and resume act on the run of the viewport used last, straight over its
 * connection: the kernel may be busy running the simulation's loop.
 */
function addRunCommands(commands: JupyterFrontEnd['commands'], viewports: IPvwViewports): void {
  const actions = {
    [CommandIDs.pauseRun]: ['pause', 'Hold the simulation at its next step'],
    [CommandIDs.stepRun]: ['step', 'While paused, let exactly one step through'],
    [CommandIDs.resumeRun]: ['resume', 'Let the paused simulation run on']
  } as const;
  for (const [id, [action, caption]] of Object.entries(actions)) {
    commands.addCommand(id, {
      label: COMMAND_LABELS[id],
      caption,
      isEnabled: () => viewports.current !== null,
      execute: async () => {
        const viewport = viewports.current;
        return viewport ? (await viewport.runControls[action]()) !== null : false;
      }
    });
  }
  viewports.currentChanged.connect(() => {
    for (const id of Object.keys(actions)) {
      commands.notifyCommandChanged(id);
    }
  });
}

/**
 * The kernel of the current notebook; shows an error notification when there is none.
 */
function currentKernel(
  tracker: INotebookTracker | null,
  label: string
): Kernel.IKernelConnection | null {
  const panel = tracker?.currentWidget ?? null;
  if (!panel) {
    showProblem(`${label}: open a notebook first; ParaViewWeb commands run in its kernel.`);
    return null;
  }
  const kernel = panel.sessionContext.session?.kernel ?? null;
  if (!kernel) {
    showProblem(`${label}: the notebook "${panel.title.label}" has no running kernel.`);
    return null;
  }
  return kernel;
}

/**
 * Build a magic line, run it in the current notebook's kernel and report the outcome.
 */
async function runMagic(
  tracker: INotebookTracker | null,
  label: string,
  code: () => string
): Promise<boolean> {
  const kernel = currentKernel(tracker, label);
  if (!kernel) {
    return false;
  }
  let line: string;
  try {
    line = code();
  } catch (reason) {
    showProblem(`${label}: ${errorMessage(reason)}`);
    return false;
  }

  const progress = new ProgressToast(`${label}: running ${line}`);
  try {
    const output = await executeCode(kernel, withExtension(line));
    await progress.finish('success', `${label}: ${firstLine(output) || 'done'}`, {
      autoClose: SUCCESS_TOAST_MS,
      actions: outputActions(label, output)
    });
    return true;
  } catch (reason) {
    const output = reason instanceof KernelExecutionError ? reason.output : '';
    await progress.finish('error', `${label} failed: ${errorMessage(reason)}`, {
      // Kernel failures stay until dismissed: the user may need the output to act on them.
      autoClose: false,
      actions: outputActions(label, output)
    });
    return false;
  }
}

/**
 * The toast of one kernel command: a spinner while the kernel works, then the outcome.
 *
 * The spinner appears only when the kernel takes longer than `PROGRESS_DELAY_MS`, so quick
 * commands show a single toast. JupyterLab drops an update that reaches a toast before it has
 * rendered, so the outcome never replaces the spinner sooner than `TOAST_RENDER_MS` after it.
 */
class ProgressToast {
  constructor(message: string) {
    this._timer = setTimeout(() => {
      this._id = Notification.emit(message, 'in-progress', { autoClose: false });
      this._shownAt = Date.now();
    }, PROGRESS_DELAY_MS);
  }

  /**
   * Show the outcome, replacing the spinner if it is up.
   */
  async finish(
    type: Notification.TypeOptions,
    message: string,
    options: Notification.IOptions<ReadonlyJSONValue>
  ): Promise<void> {
    clearTimeout(this._timer);
    if (this._id === null) {
      Notification.emit(message, type, options);
      return;
    }
    const wait = this._shownAt + TOAST_RENDER_MS - Date.now();
    if (wait > 0) {
      await new Promise(resolve => setTimeout(resolve, wait));
    }
    Notification.update({ id: this._id, type, message, ...options });
  }

  private _timer: ReturnType<typeof setTimeout>;
  private _id: string | null = null;
  private _shownAt = 0;
}

/**
 * Show a problem the user can fix (no notebook, bad input) as an error toast.
 */
function showProblem(message: string): void {
  Notification.error(message, { autoClose: PROBLEM_TOAST_MS });
}

/**
 * A "Show Output" action when the kernel printed more than the notification can hold.
 */
function outputActions(label: string, output: string): Notification.IAction[] {
  if (!output.trim() || output.trim() === firstLine(output)) {
    return [];
  }
  return [
    {
      label: 'Show Output',
      callback: () => {
        const body = new Widget({ node: document.createElement('pre') });
        body.addClass('jp-pvw-KernelOutput');
        body.node.textContent = output;
        void showDialog({ title: label, body, buttons: [Dialog.okButton()] });
      }
    }
  ];
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map(line => line.trim())
      .find(line => line.length > 0) ?? ''
  );
}

function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
