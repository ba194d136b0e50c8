import {
  booleanSetting,
  numberSetting,
  SettingReader
} from '../common/settings';

/** The sidebar's own settings (schema/plugin.json). */
export interface IStatusSettings {
  /** `refreshInterval`: seconds between status polls. */
  refreshInterval: number;
  /** `followActiveNotebook`: follow the main area's notebook. */
  followActiveNotebook: boolean;
}

/** The sidebar's settings, the schema's defaults where one is not valid. */
export function statusSettings(read: SettingReader): IStatusSettings {
  return {
    refreshInterval: numberSetting(read, 'refreshInterval', 30),
    followActiveNotebook: booleanSetting(read, 'followActiveNotebook', true)
  };
}
