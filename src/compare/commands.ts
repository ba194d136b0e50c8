import { WidgetTracker } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import {
  ReadonlyPartialJSONObject,
  ReadonlyPartialJSONValue
} from '@lumino/coreutils';

import { Requester } from '../common/api';
import { CommandIDs } from '../common/commandIds';
import { CommandFailure, notify as tell } from '../common/notify';
import { IChartsModule } from './Charts';
import { LanguageFor } from './CodeDiff';
import {
  cleanRunIds,
  CompareModel,
  ICompareArgs,
  MAX_CHARTED,
  MAX_COMPARED
} from './model';
import { ICandidateRun, pickRuns } from './picker';
import {
  AskRelease,
  releaseDialog,
  releaseMessage,
  releaseRun
} from './release';
import { IReleaseReply } from './types';
import { CompareWidget } from './widget';

/** The URL query parameter naming a comparison (see compareUrlArgs). */
export const COMPARE_URL_PARAMETER = 'repro-compare';

/**
 * What the compare and release commands need; the runs panel's side of it
 * (selection, followed notebook, loaded runs) comes as functions, so this
 * feature does not import the runs feature.
 */
export interface ICompareCommandOptions {
  requester: Requester;
  trans: TranslationBundle;
  commands: CommandRegistry;
  tracker: WidgetTracker<CompareWidget>;
  /**
   * Show a view in the main area; false when the shell cannot (Notebook 7's
   * pages hold one document).
   */
  open: (widget: CompareWidget) => boolean;
  /** Bring an open view to the front. */
  activate: (widget: CompareWidget) => void;
  /** What happens when {@link open} could not show a comparison. */
  cannotOpen?: (args: ICompareArgs) => void;
  /** The runs selected in the runs panel. */
  selected: () => string[];
  /** The notebook the runs panel follows. */
  followedPath: () => string | null;
  /** The run under the context menu, if one was right-clicked. */
  contextRunId: () => string | null;
  /** A loaded run as a picker lists it. */
  describeRun: (runId: string) => ICandidateRun | null;
  /** The other loaded runs of the followed notebook. */
  otherRuns: (runId: string) => ICandidateRun[];
  /** Metrics to chart when a command names none (null: the runs' first ten). */
  defaultMetrics?: (runIds: string[]) => string[] | null;
  /** After a release: refresh the runs panel and the releases list. */
  onReleased?: (reply: IReleaseReply, runId: string) => void;
  languageFor?: LanguageFor;
  loadCharts?: () => Promise<IChartsModule>;
  /** The release dialog (tests pass their own). */
  askRelease?: (runLabel: string) => AskRelease;
  /** Resolves when the lab's layout is restored (URL comparisons wait for it). */
  ready?: Promise<unknown>;
  /** The "Compare with…" dialog (tests pass their own). */
  pick?: (run: ICandidateRun, others: ICandidateRun[]) => Promise<string[]>;
  /**
   * Tells the user something (default a notification); failures reject
   * instead (the failure reporter shows them).
   */
  notify?: (kind: 'success' | 'warning', message: string) => void;
}

function stringOf(value: ReadonlyPartialJSONValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The comparison a URL's `?repro-compare=` names (JSON `{runIds, path,
 * metrics?}`), or null.
 */
export function compareUrlArgs(search: string): ICompareArgs | null {
  const raw = new URLSearchParams(search).get(COMPARE_URL_PARAMETER);
  if (!raw) {
    return null;
  }
  try {
    const data = JSON.parse(raw);
    const runIds = cleanRunIds(data?.runIds);
    if (runIds.length < 2) {
      return null;
    }
    return {
      runIds,
      path: typeof data.path === 'string' ? data.path : null,
      ...(Array.isArray(data.metrics)
        ? { metrics: cleanRunIds(data.metrics) }
        : {})
    };
  } catch {
    return null;
  }
}

/**
 * The query that {@link compareUrlArgs} reads back.
 */
export function compareUrlQuery(args: ICompareArgs): string {
  const query = new URLSearchParams();
  query.set(COMPARE_URL_PARAMETER, JSON.stringify(args));
  return query.toString();
}

/**
 * `compare`, `compare-with`, `release-run` and `compare-from-url`.
 */
export function addCompareCommands(options: ICompareCommandOptions): void {
  const { commands, trans, tracker } = options;
  const notify =
    options.notify ??
    ((kind, message) =>
      void tell(
        {
          type: kind,
          message,
          autoClose: kind === 'success' ? 10000 : 8000
        },
        trans
      ));

  const runIdsOf = (args: ReadonlyPartialJSONObject): string[] => {
    const given = cleanRunIds(args['runIds']);
    return given.length > 0 ? given : options.selected();
  };
  const argsOf = (args: ReadonlyPartialJSONObject): ICompareArgs => {
    const runIds = runIdsOf(args);
    const metrics = Array.isArray(args['metrics'])
      ? cleanRunIds(args['metrics']).slice(0, MAX_CHARTED)
      : (options.defaultMetrics?.(runIds)?.slice(0, MAX_CHARTED) ?? null);
    return {
      runIds,
      path: stringOf(args['path']) ?? options.followedPath(),
      ...(metrics !== null ? { metrics } : {})
    };
  };
  const countOk = (n: number) => n >= 2 && n <= MAX_COMPARED;

  commands.addCommand(CommandIDs.compare, {
    label: args =>
      Array.isArray(args['runIds'])
        ? trans.__('Compare Runs')
        : trans.__('Compare Selected Runs (%1)', options.selected().length),
    caption: trans.__(
      'Compare 2 to %1 MLflow runs: parameters, metrics, charts and the code that changed',
      MAX_COMPARED
    ),
    isEnabled: args => countOk(runIdsOf(args).length),
    isVisible: args =>
      Array.isArray(args['runIds']) || options.selected().length >= 2,
    execute: (args: ReadonlyPartialJSONObject) => {
      const wanted = argsOf(args);
      if (!countOk(wanted.runIds.length)) {
        notify(
          'warning',
          trans.__(
            'Choose 2 to %1 runs to compare (got %2).',
            MAX_COMPARED,
            wanted.runIds.length
          )
        );
        return null;
      }
      const existing = tracker.find(widget => widget.matches(wanted));
      if (existing) {
        options.activate(existing);
        return existing;
      }
      const model = new CompareModel({
        requester: options.requester,
        trans,
        ...wanted
      });
      const widget = new CompareWidget({
        model,
        trans,
        commands,
        languageFor: options.languageFor,
        loadCharts: options.loadCharts
      });
      if (!options.open(widget)) {
        widget.dispose();
        options.cannotOpen?.(wanted);
        return null;
      }
      void tracker.add(widget);
      // A restored layout re-opens it with what it compares now.
      model.stateChanged.connect(() => {
        if (!widget.isDisposed) {
          void tracker.save(widget);
        }
      });
      return widget;
    }
  });

  commands.addCommand(CommandIDs.compareWith, {
    label: trans.__('Compare with…'),
    caption: trans.__('Compare this run with other runs of the notebook'),
    isEnabled: args =>
      (stringOf(args['runId']) ?? options.contextRunId()) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const runId = stringOf(args['runId']) ?? options.contextRunId();
      if (runId === null) {
        return null;
      }
      const run = options.describeRun(runId) ?? {
        runId,
        label: runId.slice(0, 8),
        detail: ''
      };
      const picked = await (
        options.pick ?? ((r, others) => pickRuns(r, others, trans))
      )(run, options.otherRuns(runId));
      if (picked.length === 0) {
        return null;
      }
      return commands.execute(CommandIDs.compare, {
        runIds: [runId, ...picked.filter(id => id !== runId)],
        path: stringOf(args['path']) ?? options.followedPath() ?? ''
      });
    }
  });

  commands.addCommand(CommandIDs.releaseRun, {
    label: trans.__('Release this run…'),
    caption: trans.__(
      "Tag the run's code as a release: an annotated tag carrying its metrics, parameters and environment"
    ),
    isEnabled: args =>
      (stringOf(args['runId']) ?? options.contextRunId()) !== null &&
      (stringOf(args['path']) ?? options.followedPath()) !== null,
    execute: async (args: ReadonlyPartialJSONObject) => {
      const runId = stringOf(args['runId']) ?? options.contextRunId();
      const path = stringOf(args['path']) ?? options.followedPath();
      if (runId === null || path === null) {
        return null;
      }
      const runLabel = options.describeRun(runId)?.label ?? runId.slice(0, 8);
      let reply: IReleaseReply | null;
      try {
        reply = await releaseRun({
          requester: options.requester,
          trans,
          runId,
          runLabel,
          path,
          ask: (options.askRelease ?? (label => releaseDialog(label, trans)))(
            runLabel
          )
        });
      } catch (error) {
        throw new CommandFailure(
          trans.__(
            'Cannot release the run: %1',
            error instanceof Error ? error.message : String(error)
          ),
          { cause: error }
        );
      }
      if (reply === null) {
        return null;
      }
      notify('success', releaseMessage(reply, runLabel, trans));
      options.onReleased?.(reply, runId);
      tracker.forEach(widget => {
        if (widget.model.runIds.includes(runId)) {
          void widget.model.load();
        }
      });
      return reply as unknown as ReadonlyPartialJSONObject;
    }
  });

  commands.addCommand(CommandIDs.compareFromUrl, {
    label: trans.__('Open the Comparison of the URL'),
    execute: async (args: ReadonlyPartialJSONObject) => {
      const wanted = compareUrlArgs(stringOf(args['search']) ?? '');
      if (wanted === null) {
        return null;
      }
      await options.ready;
      return commands.execute(
        CommandIDs.compare,
        wanted as unknown as ReadonlyPartialJSONObject
      );
    }
  });
}
