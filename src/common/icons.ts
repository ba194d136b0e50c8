import { LabIcon } from '@jupyterlab/ui-components';

import reproSvg from '../../style/icons/repro.svg';
import snapshotSvg from '../../style/icons/snapshot.svg';

export const reproIcon = new LabIcon({
  name: 'jupyterlab-repro:icon',
  svgstr: reproSvg
});

export const snapshotIcon = new LabIcon({
  name: 'jupyterlab-repro:snapshot',
  svgstr: snapshotSvg
});
