import { ReactWidget } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon, Toolbar, ToolbarButton } from '@jupyterlab/ui-components';
import * as React from 'react';

import { relativeTime } from '../common/format';
import { useSignal } from '../common/useSignal';
import { IRelease, ReleasesModel } from './releases';

export interface IReleasesViewProps {
  model: ReleasesModel;
  trans: TranslationBundle;
  /** What clicking a release does (select its run in the runs panel). */
  onSelect: (release: IRelease) => void;
}

/**
 * "Releases": the release tags of the followed repository, newest first,
 * one compact entry each (tag, run, when; key metrics below). Everything is
 * rendered as text. Its refresh button is in the section's title bar.
 */
export function ReleasesView(props: IReleasesViewProps): JSX.Element {
  const { model, trans } = props;
  useSignal(model.stateChanged);
  const state = model.state;
  return (
    <section
      className={'jp-Repro-Releases' + (model.busy ? ' jp-mod-busy' : '')}
      data-state={state}
      aria-busy={model.busy}
      aria-label={trans.__('Release tags of this repository')}
    >
      {state === 'idle' && (
        <div className="jp-Repro-Releases-note">
          {trans.__('Open a notebook in a repository to see its releases.')}
        </div>
      )}
      {state === 'loading' && (
        <div className="jp-Repro-Releases-note">
          {trans.__('Reading tags…')}
        </div>
      )}
      {state === 'empty' && (
        <div className="jp-Repro-Releases-note">
          <span
            title={trans.__(
              'Right-click a run and choose “Release this run…” to tag its code with its metrics.'
            )}
          >
            {trans.__(
              'No release yet: right-click a run, “Release this run…”.'
            )}
          </span>
        </div>
      )}
      {state === 'error' && (
        <div className="jp-Repro-Releases-message" role="alert">
          {model.message}
        </div>
      )}
      {model.releases.length > 0 && (
        <ul className="jp-Repro-Releases-list">
          {model.releases.map(release => (
            <li
              key={release.tag}
              className="jp-Repro-Releases-item"
              data-tag={release.tag}
              data-run-id={release.runId}
            >
              <button
                className="jp-Repro-Releases-select"
                title={trans.__(
                  'Tag %1 at %2 (run %3, %4): select the run in the runs panel',
                  release.tag,
                  release.commit.slice(0, 7),
                  release.runName || release.runId.slice(0, 8),
                  release.runId
                )}
                onClick={() => props.onSelect(release)}
              >
                <span className="jp-Repro-Releases-tag">{release.tag}</span>
                <span className="jp-Repro-Releases-run">
                  {release.runName || release.runId.slice(0, 8)}
                </span>
                {release.date && (
                  <span
                    className="jp-Repro-Releases-date"
                    title={Time.format(release.date)}
                  >
                    {relativeTime(Date.parse(release.date))}
                  </span>
                )}
                {release.metrics.length > 0 && (
                  <span
                    className="jp-Repro-Releases-metrics"
                    title={release.metrics
                      .map(([key, value]) => `${key} = ${value}`)
                      .join('\n')}
                  >
                    {release.metrics
                      .map(([key, value]) => `${key} ${value}`)
                      .join(' · ')}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The sidebar section holding a {@link ReleasesView}; its refresh button
 * sits in the section's title bar.
 */
export class ReleasesSection extends ReactWidget {
  constructor(props: IReleasesViewProps) {
    super();
    this._props = props;
    this.addClass('jp-Repro-ReleasesSection');
    this.title.label = props.trans.__('Releases');
    this.toolbar = new Toolbar();
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        className: 'jp-Repro-Releases-refresh',
        icon: refreshIcon,
        tooltip: props.trans.__('Refresh releases'),
        onClick: () => void props.model.refresh()
      })
    );
  }

  /** Shown in the section's title bar by the sidebar's accordion. */
  readonly toolbar: Toolbar;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.toolbar.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return <ReleasesView {...this._props} />;
  }

  private _props: IReleasesViewProps;
}

/** The sidebar section holding a {@link ReleasesView}. */
export function createReleasesSection(props: IReleasesViewProps): ReactWidget {
  return new ReleasesSection(props);
}
