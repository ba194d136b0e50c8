import type { Extension } from '@codemirror/state';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { DiffPreview } from '../common/DiffPreview';
import type { IMountedDiff } from './merge';
import {
  cellSources,
  changedCells,
  CompareModel,
  DiffMode,
  shortSha
} from './model';
import { ICellDiff, ICodeDiff, IFileDiff } from './types';

/** The syntax of a cell type (`code`, `markdown`), or null for none. */
export type LanguageFor = (cellType: string) => Promise<Extension | null>;

/** The part of the editor language registry {@link cellLanguages} uses. */
export interface ILanguageSource {
  getLanguage(name: string): Promise<{ support?: Extension | null } | null>;
}

/**
 * The syntax of code cells (Python) and Markdown cells from the lab's
 * language registry; null for other cell types or without a registry.
 */
export function cellLanguages(registry: ILanguageSource | null): LanguageFor {
  return async cellType => {
    if (!registry || (cellType !== 'code' && cellType !== 'markdown')) {
      return null;
    }
    const language = await registry.getLanguage(
      cellType === 'markdown' ? 'markdown' : 'python'
    );
    return language?.support ?? null;
  };
}

let mergeModule: Promise<typeof import('./merge')> | null = null;

function loadMerge(): Promise<typeof import('./merge')> {
  if (mergeModule === null) {
    mergeModule = import('./merge').catch(error => {
      mergeModule = null;
      throw error;
    });
  }
  return mergeModule;
}

/**
 * The words of one cell's change: "cell 3 (code) modified", "moved from 2".
 */
export function cellTitle(cell: ICellDiff, trans: TranslationBundle): string {
  const index = cell.new_index ?? cell.old_index ?? 0;
  const status = {
    added: trans.__('added'),
    removed: trans.__('removed'),
    moved: trans.__('moved'),
    modified: trans.__('modified'),
    unchanged: trans.__('unchanged')
  }[cell.status];
  let title = trans.__('cell %1 (%2) %3', index, cell.cell_type, status);
  if (
    (cell.moved || cell.status === 'moved') &&
    cell.old_index !== null &&
    cell.new_index !== null
  ) {
    title += ' ' + trans.__('(from position %1)', cell.old_index);
  }
  return title;
}

function CellDiffView(props: {
  cell: ICellDiff;
  mode: DiffMode;
  languageFor?: LanguageFor;
  labels: { before: string; after: string };
  trans: TranslationBundle;
}): JSX.Element {
  const { cell, mode, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  const [failed, setFailed] = React.useState<string | null>(null);
  const sources = cellSources(cell);
  const before = sources?.old ?? null;
  const after = sources?.new ?? null;

  React.useEffect(() => {
    if (before === null || after === null || !host.current) {
      return;
    }
    let mounted: IMountedDiff | null = null;
    let cancelled = false;
    const language = props.languageFor
      ? props.languageFor(cell.cell_type).catch(() => null)
      : Promise.resolve(null);
    Promise.all([loadMerge(), language])
      .then(([merge, syntax]) => {
        if (cancelled || !host.current) {
          return;
        }
        host.current.textContent = '';
        mounted = merge.mountDiff({
          parent: host.current,
          before,
          after,
          mode,
          language: syntax,
          labels: props.labels
        });
      })
      .catch(error => {
        if (!cancelled) {
          setFailed(error instanceof Error ? error.message : String(error));
        }
      });
    return () => {
      cancelled = true;
      mounted?.destroy();
    };
  }, [before, after, mode]);

  const notes: string[] = [];
  if (cell.metadata_changed?.length) {
    notes.push(
      trans.__('metadata changed: %1', cell.metadata_changed.join(', '))
    );
  }
  if (cell.attachments_changed) {
    notes.push(trans.__('attachments changed'));
  }
  if (cell.old_cell_type && cell.old_cell_type !== cell.cell_type) {
    notes.push(trans.__('was a %1 cell', cell.old_cell_type));
  }
  return (
    <div
      className={`jp-Repro-Compare-cell jp-mod-${cell.status}`}
      data-status={cell.status}
      data-cell-id={cell.cell_id ?? ''}
    >
      <div className="jp-Repro-Compare-cellTitle">{cellTitle(cell, trans)}</div>
      {notes.length > 0 && (
        <div className="jp-Repro-Compare-cellNote">{notes.join(' · ')}</div>
      )}
      {before !== null && after !== null && failed === null && (
        <div
          className={`jp-Repro-Compare-merge jp-mod-${mode}`}
          data-mode={mode}
          ref={host}
        />
      )}
      {(failed !== null ||
        (sources === null && cell.source_diff.length > 0)) && (
        <DiffPreview
          text={cell.source_diff.join('\n')}
          label={cellTitle(cell, trans)}
        />
      )}
    </div>
  );
}

function FileDiffView(props: {
  file: IFileDiff;
  trans: TranslationBundle;
}): JSX.Element {
  const { file, trans } = props;
  const name =
    file.old_path && file.old_path !== file.path
      ? `${file.old_path} → ${file.path}`
      : file.path;
  const counts = file.binary
    ? trans.__('binary')
    : `+${file.additions ?? 0} −${file.deletions ?? 0}`;
  return (
    <details className="jp-Repro-Compare-file" data-path={file.path}>
      <summary>
        <span className="jp-Repro-Compare-filePath">{name}</span>
        <span className="jp-Repro-Compare-fileStatus">{file.status}</span>
        <span className="jp-Repro-Compare-fileCounts">{counts}</span>
      </summary>
      {file.diff !== null ? (
        <DiffPreview text={file.diff} label={trans.__('Diff of %1', name)} />
      ) : (
        <div className="jp-Repro-Compare-note">
          {file.summary ?? trans.__('No text diff.')}
        </div>
      )}
    </details>
  );
}

function summaryText(code: ICodeDiff, trans: TranslationBundle): string {
  const summary = code.notebook_diff?.summary ?? {};
  const parts: string[] = [];
  for (const [key, word] of [
    ['modified', trans.__('modified')],
    ['added', trans.__('added')],
    ['removed', trans.__('removed')],
    ['moved', trans.__('moved')]
  ] as const) {
    if (summary[key]) {
      parts.push(`${summary[key]} ${word}`);
    }
  }
  return parts.length > 0
    ? trans.__('cells: %1', parts.join(', '))
    : trans.__('no cell changed (outputs ignored)');
}

/**
 * The code of one run against the baseline's: why it is unknown, that it is
 * the same, or the changed cells (side by side or unified) and the other
 * files that changed between the two commits.
 */
export function CodeDiffView(props: {
  code: ICodeDiff;
  model: CompareModel;
  labels: Map<string, string>;
  languageFor?: LanguageFor;
  trans: TranslationBundle;
}): JSX.Element {
  const { code, model, labels, trans } = props;
  const from = labels.get(code.from_run) ?? code.from_run;
  const to = labels.get(code.run_id) ?? code.run_id;
  const cells = changedCells(code);
  const files = code.files ?? [];
  const total = code.files_total ?? files.length;
  const twoNotebooks = code.known && code.notebook === null;
  return (
    <section
      className={
        'jp-Repro-Compare-code' +
        (code.known ? '' : ' jp-mod-unknown') +
        (code.same_code ? ' jp-mod-same' : '')
      }
      data-run-id={code.run_id}
    >
      <h4 className="jp-Repro-Compare-codeTitle">
        <span className="jp-Repro-Compare-codeFrom">{from}</span>
        {' → '}
        <span className="jp-Repro-Compare-codeTo">{to}</span>
        {code.known && code.label && (
          <span
            className={
              'jp-Repro-Compare-codeLabel' +
              (twoNotebooks ? ' jp-mod-twoNotebooks' : '')
            }
            title={
              twoNotebooks
                ? trans.__('The runs ran different notebooks')
                : undefined
            }
          >
            {twoNotebooks
              ? trans.__('different notebooks: %1', code.label)
              : code.label}
          </span>
        )}
        {code.known && (
          <span className="jp-Repro-Compare-codeShas">
            {`${shortSha(code.from_code)} → ${shortSha(code.to_code)}`}
          </span>
        )}
      </h4>
      {!code.known && (
        <div className="jp-Repro-Compare-unknown">
          {code.reason ?? trans.__('The code of this run is unknown.')}
        </div>
      )}
      {code.known && code.same_code && (
        <div className="jp-Repro-Compare-note">
          {trans.__('Same code as the baseline (%1).', shortSha(code.to_code))}
        </div>
      )}
      {code.known && !code.same_code && (
        <>
          <div className="jp-Repro-Compare-note">
            {summaryText(code, trans)}
          </div>
          {cells.map((cell, i) => (
            <CellDiffView
              key={`${cell.cell_id ?? ''}:${cell.old_index}:${cell.new_index}:${i}`}
              cell={cell}
              mode={model.diffMode}
              languageFor={props.languageFor}
              labels={{
                before: trans.__(
                  '%1 as %2 ran it',
                  cellTitle(cell, trans),
                  from
                ),
                after: trans.__('%1 as %2 ran it', cellTitle(cell, trans), to)
              }}
              trans={trans}
            />
          ))}
          {total > 0 && (
            <div className="jp-Repro-Compare-files">
              <div className="jp-Repro-Compare-filesTitle">
                {trans._n(
                  '%1 other file changed',
                  '%1 other files changed',
                  total
                )}
                {total > files.length &&
                  ' ' + trans.__('(the first %1 listed)', files.length)}
              </div>
              {files.map(file => (
                <FileDiffView key={file.path} file={file} trans={trans} />
              ))}
            </div>
          )}
        </>
      )}
    </section>
  );
}
