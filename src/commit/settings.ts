import {
  booleanSetting,
  choiceSetting,
  numberSetting,
  SettingReader
} from '../common/settings';
import { COMMIT_TYPES, ISnapshotDefaults } from './model';

/**
 * The snapshot form's defaults from the settings (`defaultCommitType`,
 * `clearOutputsByDefault`, `maxDiffLines`), the schema's defaults where one
 * is not valid.
 */
export function snapshotSettings(
  read: SettingReader
): Required<ISnapshotDefaults> {
  return {
    commitType: choiceSetting(read, 'defaultCommitType', COMMIT_TYPES, 'exp'),
    clearOutputs: booleanSetting(read, 'clearOutputsByDefault', false),
    maxDiffLines: numberSetting(read, 'maxDiffLines', 400)
  };
}
