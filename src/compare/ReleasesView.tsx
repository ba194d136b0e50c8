import { ReactWidget } from '@jupyterlab/apputils';
import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
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
 * with their run and key metrics. Everything is rendered as text.
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
      <div className="jp-Repro-Releases-toolbar">
        <span className="jp-Repro-Releases-count">
          {state === 'ready'
            ? trans._n('%1 release', '%1 releases', model.releases.length)
            : ''}
        </span>
        <button
          className="jp-Repro-Releases-refresh"
          aria-label={trans.__('Refresh releases')}
          title={trans.__('Refresh releases')}
          disabled={state === 'idle'}
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </button>
      </div>
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
          {trans.__(
            'No release yet. Right-click a run and choose “Release this run…” to tag its code with its metrics.'
          )}
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
                  'Tag %1 at %2 (run %3): select the run in the runs panel',
                  release.tag,
                  release.commit.slice(0, 7),
                  release.runId
                )}
                onClick={() => props.onSelect(release)}
              >
                <span className="jp-Repro-Releases-tag">{release.tag}</span>
                {release.date && (
                  <span
                    className="jp-Repro-Releases-date"
                    title={Time.format(release.date)}
                  >
                    {relativeTime(Date.parse(release.date))}
                  </span>
                )}
                <span className="jp-Repro-Releases-run">
                  {release.runName || release.runId.slice(0, 8)}
                </span>
                {release.metrics.length > 0 && (
                  <span className="jp-Repro-Releases-metrics">
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

/** The sidebar section holding a {@link ReleasesView}. */
export function createReleasesSection(props: IReleasesViewProps): ReactWidget {
  const widget = ReactWidget.create(<ReleasesView {...props} />);
  widget.addClass('jp-Repro-ReleasesSection');
  widget.title.label = props.trans.__('Releases');
  return widget;
}
