import { DisposableDelegate, IDisposable } from '@lumino/disposable';

/**
 * The plugin whose schema (schema/plugin.json) holds Repro's settings: the
 * core plugin's id; every feature reads its own settings there.
 */
export const SETTINGS_PLUGIN_ID = 'jupyterlab-repro:plugin';

/** One setting's value as the settings give it (`get(key).composite`). */
export type SettingReader = (key: string) => unknown;

/**
 * The parts of a plugin's loaded settings {@link watchSettings} uses
 * (`ISettingRegistry.ISettings` fits).
 */
export interface ISettingsLike {
  get(key: string): { composite: unknown };
  readonly changed: {
    connect(slot: (sender: any) => void): boolean;
    disconnect(slot: (sender: any) => void): boolean;
  };
}

/** The part of the setting registry {@link watchSettings} uses. */
export interface ISettingLoader {
  load(plugin: string): Promise<ISettingsLike>;
}

/** A number setting, `fallback` when it is not a finite number. */
export function numberSetting(
  read: SettingReader,
  key: string,
  fallback: number
): number {
  const value = read(key);
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A boolean setting, `fallback` when it is not a boolean. */
export function booleanSetting(
  read: SettingReader,
  key: string,
  fallback: boolean
): boolean {
  const value = read(key);
  return typeof value === 'boolean' ? value : fallback;
}

/** A list of strings (its other items dropped), `[]` when not a list. */
export function stringsSetting(read: SettingReader, key: string): string[] {
  const value = read(key);
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/** One of `choices`, `fallback` when the setting is none of them. */
export function choiceSetting<T extends string>(
  read: SettingReader,
  key: string,
  choices: readonly T[],
  fallback: T
): T {
  const value = read(key);
  return choices.includes(value as T) ? (value as T) : fallback;
}

/**
 * Load `plugin`'s settings, `apply` them now and on every change. Disposing
 * the result stops following the changes. A failure to load is logged and
 * nothing is applied (the features keep their defaults).
 */
export function watchSettings(
  registry: ISettingLoader,
  plugin: string,
  apply: (read: SettingReader) => void
): IDisposable {
  let stop: (() => void) | null = null;
  const result = new DisposableDelegate(() => stop?.());
  registry
    .load(plugin)
    .then(settings => {
      if (result.isDisposed) {
        return;
      }
      const onChange = () => apply(key => settings.get(key).composite);
      onChange();
      settings.changed.connect(onChange);
      stop = () => settings.changed.disconnect(onChange);
    })
    .catch(reason => {
      console.error('jupyterlab-repro: cannot load settings', reason);
    });
  return result;
}
