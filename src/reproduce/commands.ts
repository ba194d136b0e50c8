// The reproduce feature's commands: reproduce a run (dialog, then POST),
// cancel a job, show the reproductions. The runs table and the run details
// reach them by id (a context menu item on `.jp-Repro-Runs-run`, buttons).
import { TranslationBundle } from '@jupyterlab/translation';
import {
  ReadonlyPartialJSONObject,
  ReadonlyPartialJSONValue
} from '@lumino/coreutils';
import { CommandRegistry } from '@lumino/commands';

import { ReproRequestError, toRequestFailure } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, notify as tell } from '../common/notify';
import {
  AskReproduce,
  DEFAULT_OPTIONS,
  refusedDialog,
  reproduceDialog
} from './dialog';
import { pathOf, ReproduceModel } from './model';
import { verdictLabel } from './ReproduceView';
import { ICheck, IJob, IReproduceOptions } from './types';

export interface IReproduceCommandsOptions {
  model: ReproduceModel;
  trans: TranslationBundle;
  /** The run right-clicked (its row's `data-run-id`), or null. */
  contextRunId: () => string | null;
  /** The path the sidebar follows (where the run's repository is), or null. */
  followedPath: () => string | null;
  /** Opens (or reveals) the reproductions view. */
  show: () => void;
  /** Asks for the options; the dialog by default. */
  ask?: AskReproduce;
  /** Asks whether to reproduce anyway after a strict refusal; a dialog by default. */
  askAnyway?: (check: ICheck) => Promise<boolean>;
  /** Tells the user (`notify()` by default); failures reject instead (the reporter shows them). */
  notify?: (
    type: 'info' | 'success' | 'warning' | 'error',
    message: string,
    actions?: { label: string; callback: () => void }[]
  ) => void;
}

function stringOf(value: ReadonlyPartialJSONValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function numberOf(value: ReadonlyPartialJSONValue | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The options a command's args give, over the defaults. */
export function optionsOf(args: ReadonlyPartialJSONObject): IReproduceOptions {
  return {
    strict: args['strict'] === true,
    rtol: numberOf(args['rtol']) ?? DEFAULT_OPTIONS.rtol,
    atol: numberOf(args['atol']) ?? DEFAULT_OPTIONS.atol,
    timeout: numberOf(args['timeout'])
  };
}

/** The notification a finished job gives. */
export function finishedMessage(job: IJob, trans: TranslationBundle): string {
  const label = job.run_name ?? job.run_id.slice(0, 8);
  const verdict = job.verdict;
  if (verdict === null) {
    return trans.__('The reproduction of %1 ended: %2', label, job.error ?? '');
  }
  if (verdict.failure !== null && verdict.verdict === 'failed') {
    const where =
      verdict.failure.cell !== null
        ? trans.__('cell %1', verdict.failure.cell)
        : trans.__('the kernel');
    return trans.__(
      'Reproduction of %1 failed in %2: %3: %4',
      label,
      where,
      verdict.failure.ename,
      verdict.failure.evalue
    );
  }
  return trans.__(
    'Reproduction of %1: %2',
    label,
    verdictLabel(verdict.verdict, trans)
  );
}

export function addReproduceCommands(
  commands: CommandRegistry,
  options: IReproduceCommandsOptions
): void {
  const { model, trans } = options;
  const notify =
    options.notify ??
    ((type, message, actions) =>
      void tell({ type, message, actions, autoClose: 8000 }, trans));
  const ask = options.ask ?? reproduceDialog(trans);
  const askAnyway = options.askAnyway ?? (check => refusedDialog(check, trans));

  commands.addCommand(CommandIDs.reproduce, {
    label: trans.__('Reproduce…'),
    caption: trans.__(
      "Run this run's code again in a clean kernel, in its order, with its seed, and compare the metrics"
    ),
    isEnabled: args =>
      (stringOf(args['runId']) ?? options.contextRunId()) !== null &&
      model.running === null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const runId = stringOf(args['runId']) ?? options.contextRunId();
      if (runId === null) {
        return null;
      }
      const path = stringOf(args['path']) ?? options.followedPath() ?? '';
      let chosen: IReproduceOptions | null = optionsOf(args);
      if (args['ask'] !== false) {
        chosen = await ask(runId.slice(0, 8), chosen, null);
        if (chosen === null) {
          return null;
        }
      }
      let job: IJob;
      try {
        job = await model.start(runId, path, chosen);
      } catch (error) {
        if (
          error instanceof ReproRequestError &&
          error.reason === 'environment-differs'
        ) {
          const check = (error.body?.check ?? null) as ICheck | null;
          if (check !== null && (await askAnyway(check))) {
            return commands.execute(CommandIDs.reproduce, {
              ...args,
              runId,
              path,
              ...chosen,
              strict: false,
              ask: false
            } as ReadonlyPartialJSONObject);
          }
          return null;
        }
        if (
          error instanceof ReproRequestError &&
          error.reason === 'reproduction-running'
        ) {
          throw new CommandFailure(error.message, {
            cause: error,
            type: 'warning',
            actions: [{ label: trans.__('Show'), callback: options.show }]
          });
        }
        throw new CommandFailure(
          trans.__(
            'Cannot reproduce the run: %1',
            toRequestFailure(error).message
          ),
          { cause: error }
        );
      }
      options.show();
      return job as unknown as ReadonlyPartialJSONObject;
    }
  });

  commands.addCommand(CommandIDs.reproduceCancel, {
    label: trans.__('Cancel the Reproduction'),
    isEnabled: args =>
      (stringOf(args['job']) ?? model.running?.job ?? null) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const id = stringOf(args['job']) ?? model.running?.job ?? null;
      if (id === null) {
        return null;
      }
      try {
        return (await model.cancel(id)) as unknown as ReadonlyPartialJSONObject;
      } catch (error) {
        throw new CommandFailure(
          trans.__(
            'Cannot cancel the reproduction: %1',
            toRequestFailure(error).message
          ),
          { cause: error }
        );
      }
    }
  });

  commands.addCommand(CommandIDs.reproduceShow, {
    label: trans.__('Show the Reproductions'),
    caption: trans.__('Progress and verdicts of the reproductions of runs'),
    execute: () => {
      options.show();
    }
  });

  model.finished.connect((_, job) => {
    const type =
      job.verdict?.verdict === 'exact' ||
      job.verdict?.verdict === 'within-tolerance'
        ? 'success'
        : job.verdict?.verdict === 'cancelled'
          ? 'info'
          : 'warning';
    const actions =
      job.reproduction_run_id !== null
        ? [
            {
              label: trans.__('Compare'),
              callback: () =>
                void commands.execute(CommandIDs.compare, {
                  runIds: [job.run_id, job.reproduction_run_id as string],
                  path: pathOf(job, options.followedPath())
                })
            }
          ]
        : [];
    notify(type, finishedMessage(job, trans), actions);
  });
}
