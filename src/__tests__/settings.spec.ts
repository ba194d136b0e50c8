import { Signal } from '@lumino/signaling';

import { snapshotSettings } from '../commit/settings';
import {
  booleanSetting,
  choiceSetting,
  numberSetting,
  SETTINGS_PLUGIN_ID,
  SettingReader,
  stringsSetting,
  watchSettings
} from '../common/settings';
import { runsSettings } from '../runs/settings';
import { statusSettings } from '../status/settings';
import { flush } from './runsFakes';

// The schema the settings come from (read as the lab reads it).
declare const require: (id: string) => any;
const schema = require('../../schema/plugin.json');

/** What the setting registry gives: the composite values, a changed signal. */
class FakeSettings {
  constructor(public values: Record<string, unknown>) {}
  changed = new Signal<FakeSettings, void>(this);
  get(key: string): { composite: unknown } {
    return { composite: this.values[key] };
  }
  set(key: string, value: unknown): void {
    this.values[key] = value;
    this.changed.emit();
  }
}

function reader(values: Record<string, unknown>): SettingReader {
  return key => values[key];
}

/** The schema's defaults, as the registry's composite values. */
function defaults(): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, property] of Object.entries<any>(schema.properties)) {
    values[key] = property.default;
  }
  return values;
}

describe('setting readers', () => {
  it('read valid values and fall back on the others', () => {
    const read = reader({ n: 5, b: false, s: ['a', 3, 'b'], c: 'fix' });
    expect(numberSetting(read, 'n', 30)).toBe(5);
    expect(numberSetting(read, 'b', 30)).toBe(30);
    expect(numberSetting(reader({ n: NaN }), 'n', 30)).toBe(30);
    expect(booleanSetting(read, 'b', true)).toBe(false);
    expect(booleanSetting(read, 'n', true)).toBe(true);
    expect(stringsSetting(read, 's')).toEqual(['a', 'b']);
    expect(stringsSetting(read, 'n')).toEqual([]);
    expect(choiceSetting(read, 'c', ['exp', 'fix'], 'exp')).toBe('fix');
    expect(choiceSetting(read, 'n', ['exp', 'fix'], 'exp')).toBe('exp');
  });
});

describe("each feature's settings", () => {
  it("are the schema's defaults when nothing is set", () => {
    const read = reader(defaults());
    expect(statusSettings(read)).toEqual({
      refreshInterval: 30,
      followActiveNotebook: true
    });
    expect(snapshotSettings(read)).toEqual({
      commitType: 'exp',
      clearOutputs: false,
      maxDiffLines: 400
    });
    expect(runsSettings(read)).toEqual({
      metricColumns: [],
      saveBeforeRun: true,
      autoShareRunCode: false
    });
  });

  it("are the schema's defaults when a value is missing or invalid", () => {
    const read = reader({ defaultCommitType: 'wip', maxDiffLines: '10' });
    expect(statusSettings(read)).toEqual(statusSettings(reader(defaults())));
    expect(snapshotSettings(read)).toEqual(
      snapshotSettings(reader(defaults()))
    );
    expect(runsSettings(read)).toEqual(runsSettings(reader(defaults())));
  });

  it('read what the user set', () => {
    const read = reader({
      ...defaults(),
      refreshInterval: 10,
      followActiveNotebook: false,
      defaultCommitType: 'feat',
      clearOutputsByDefault: true,
      maxDiffLines: 50,
      runsMetricColumns: ['loss', 'acc'],
      saveBeforeRun: false,
      autoShareRunCode: true
    });
    expect(statusSettings(read)).toEqual({
      refreshInterval: 10,
      followActiveNotebook: false
    });
    expect(snapshotSettings(read)).toEqual({
      commitType: 'feat',
      clearOutputs: true,
      maxDiffLines: 50
    });
    expect(runsSettings(read)).toEqual({
      metricColumns: ['loss', 'acc'],
      saveBeforeRun: false,
      autoShareRunCode: true
    });
  });

  it('cover every setting of the schema', () => {
    const read: string[] = [];
    const spy: SettingReader = key => {
      read.push(key);
      return undefined;
    };
    statusSettings(spy);
    snapshotSettings(spy);
    runsSettings(spy);
    expect(read.sort()).toEqual(Object.keys(schema.properties).sort());
  });
});

describe('watchSettings', () => {
  it('applies the settings once loaded and on every change', async () => {
    const settings = new FakeSettings({ refreshInterval: 30 });
    const loaded: string[] = [];
    const applied: unknown[] = [];
    const watch = watchSettings(
      {
        load: async (plugin: string) => {
          loaded.push(plugin);
          return settings;
        }
      },
      SETTINGS_PLUGIN_ID,
      read => applied.push(read('refreshInterval'))
    );
    await flush();
    expect(loaded).toEqual(['jupyterlab-repro:plugin']);
    expect(applied).toEqual([30]);
    settings.set('refreshInterval', 60);
    expect(applied).toEqual([30, 60]);
    watch.dispose();
    settings.set('refreshInterval', 90);
    expect(applied).toEqual([30, 60]);
  });

  it('applies nothing when disposed before the settings loaded', async () => {
    const settings = new FakeSettings({});
    const apply = jest.fn();
    const watch = watchSettings(
      { load: async () => settings },
      SETTINGS_PLUGIN_ID,
      apply
    );
    watch.dispose();
    await flush();
    settings.set('maxDiffLines', 20);
    expect(apply).not.toHaveBeenCalled();
  });

  it('logs a failed load and applies nothing', async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    const apply = jest.fn();
    watchSettings(
      { load: () => Promise.reject(new Error('no schema')) },
      SETTINGS_PLUGIN_ID,
      apply
    );
    await flush();
    expect(apply).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalledWith(
      'jupyterlab-repro: cannot load settings',
      expect.any(Error)
    );
    error.mockRestore();
  });
});
