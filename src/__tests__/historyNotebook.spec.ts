/**
 * A notebook as it was, opened the way JupyterLab opens a document: a real
 * document context over a real contents manager with the ReproHistory
 * drive, and the history widget factory.
 */
import { Context } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  NotebookModelFactory,
  NotebookPanel
} from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/notebook/lib/testutils';
import { ContentsManager } from '@jupyterlab/services';
import { ServiceManagerMock } from '@jupyterlab/services/lib/testutils';
import { nullTranslator } from '@jupyterlab/translation';

import { HistoryDrive, historyPath } from '../history/drive';
import {
  HISTORY_FACTORY,
  HISTORY_PANEL_CLASS,
  HistoryNotebookFactory
} from '../history/factory';
import { SHA_C } from './runsFakes';

const trans = nullTranslator.load('jupyterlab_repro');

describe('a notebook as it was, in JupyterLab', () => {
  let calls: { endpoint: string; init?: RequestInit }[];
  let context: Context<INotebookModel>;
  let panel: NotebookPanel;
  let factory: HistoryNotebookFactory;

  beforeEach(async () => {
    calls = [];
    const requester = async <T>(endpoint: string, init?: RequestInit) => {
      calls.push({ endpoint, init });
      return {
        path: 'demo/train.ipynb',
        commit: SHA_C,
        snapshot: true,
        label: 'train.ipynb @ ccccccc',
        content: {
          cells: [
            {
              cell_type: 'code',
              id: 'model',
              source: 'params = {"n_estimators": 20}',
              metadata: {},
              outputs: [],
              execution_count: null
            }
          ],
          metadata: {
            kernelspec: { name: 'python3', display_name: 'Python 3' }
          },
          nbformat: 4,
          nbformat_minor: 5
        }
      } as T;
    };
    const manager = new ServiceManagerMock();
    const contents = new ContentsManager({
      serverSettings: manager.serverSettings
    });
    contents.addDrive(new HistoryDrive({ requester, trans }));
    const services = Object.create(manager, { contents: { value: contents } });
    factory = new HistoryNotebookFactory({
      base: NBTestUtils.createNotebookWidgetFactory()
    });
    // What the document manager does: the factory's kernel preference.
    context = new Context<INotebookModel>({
      manager: services,
      factory: new NotebookModelFactory({}),
      path: historyPath({ commit: SHA_C, path: 'demo/train.ipynb' }, trans),
      kernelPreference: {
        shouldStart: factory.preferKernel,
        canStart: factory.canStartKernel
      }
    });
    panel = factory.createNew(context);
    await context.initialize(false);
    await context.sessionContext.ready;
  });

  afterEach(() => {
    panel.dispose();
    context.dispose();
    factory.dispose();
  });

  it('never starts a kernel', () => {
    expect(factory.name).toBe(HISTORY_FACTORY);
    expect(factory.preferKernel).toBe(false);
    expect(factory.canStartKernel).toBe(false);
    expect(context.sessionContext.session).toBeNull();
    expect(context.sessionContext.kernelPreference.canStart).toBe(false);
    expect(context.sessionContext.kernelPreference.shouldStart).toBe(false);
  });

  it('is titled like its tab should read, and read-only', () => {
    expect(panel.title.label).toBe('train.ipynb @ ccccccc (read-only)');
    expect(panel.hasClass(HISTORY_PANEL_CLASS)).toBe(true);
    expect(context.contentsModel?.writable).toBe(false);
    expect(context.canSave).toBe(false);
    expect(context.model.readOnly).toBe(true);
    expect(context.model.dirty).toBe(false);
    const cell = panel.content.widgets[0];
    expect(cell.model.sharedModel.getSource()).toBe(
      'params = {"n_estimators": 20}'
    );
    expect(cell.readOnly).toBe(true);
  });

  it('cannot be saved over: the save is refused and nothing is sent', async () => {
    const before = calls.length;
    await expect(context.save()).rejects.toThrow(
      'read-only historical copy: nothing is written'
    );
    expect(calls.slice(before)).toEqual([]);
    expect(calls.every(call => call.init === undefined)).toBe(true);
  });
});
