import { LabIcon } from '@jupyterlab/ui-components';

import reproSvg from '../style/icons/repro.svg';

export const reproIcon = new LabIcon({
  name: 'jupyterlab-repro:icon',
  svgstr: reproSvg
});
