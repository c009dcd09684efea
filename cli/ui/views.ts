/** Everything the live views need, in one module that only `loadViews` imports. */
export { createElement } from 'react';
export { render, renderToString } from 'ink';
export { Dashboard } from './Dashboard.js';
export { DashboardApp } from './DashboardApp.js';
export { TailApp } from './TailApp.js';
