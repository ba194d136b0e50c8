import {
  booleanSetting,
  SettingReader,
  stringsSetting
} from '../common/settings';

/** The runs feature's settings (schema/plugin.json). */
export interface IRunsSettings {
  /** `runsMetricColumns`: the metric columns (empty: chosen automatically). */
  metricColumns: string[];
  /** `saveBeforeRun`: save a notebook before its cells run. */
  saveBeforeRun: boolean;
  /** `autoShareRunCode`: push the snapshot refs after a new snapshot run. */
  autoShareRunCode: boolean;
}

/** The runs feature's settings, the schema's defaults where one is not valid. */
export function runsSettings(read: SettingReader): IRunsSettings {
  return {
    metricColumns: stringsSetting(read, 'runsMetricColumns'),
    saveBeforeRun: booleanSetting(read, 'saveBeforeRun', true),
    autoShareRunCode: booleanSetting(read, 'autoShareRunCode', false)
  };
}
