/**
 * The ParaViewWeb icon: a cube, themed through JupyterLab's `jp-icon3` class.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const CUBE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 1.5 2.5 6.75v10.5L12 22.5l9.5-5.25V6.75L12 1.5zm0 2.3 7 3.87-7 3.86-7-3.86 7-3.87zM4.5 9.36l6.5 3.6v7.06l-6.5-3.6V9.36zm8.5 10.66v-7.06l6.5-3.6v7.06l-6.5 3.6z"/>
  </g>
</svg>`;

/** The icon of the side panel and the viewport commands. */
export const pvwIcon = new LabIcon({ name: 'jupyterlab-pvw:cube', svgstr: CUBE_SVG });
