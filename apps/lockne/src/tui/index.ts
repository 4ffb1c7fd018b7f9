// `lockne top`: live per-app traffic by profile.
export type { AppRow, ProfileRow, TopSnapshot, SnapshotSource } from './model.js';
export { formatBytes, formatRate, formatCount } from './format.js';
export { sparkline, SPARK_BARS } from './sparkline.js';
export { computeRates, totalRate, type Rate, type RateTable } from './rates.js';
export { sortRows, nextSortKey, SORT_KEYS, SORT_LABELS, type SortKey, type RatedApp } from './sort.js';
export { initialState, applySnapshot, applyError, cycleSort, cycleProfile, profileNames, HISTORY_LENGTH, type TopState } from './state.js';
export { buildView, destinations, TUNNEL_DOWN, TUNNEL_UP, type TopView, type ViewOptions, type Column, type ProfileLine } from './view.js';
export { TopFrame, type TopFrameProps } from './frame.js';
export { runTop, plainFrame, PLAIN_WIDTH, type RunTopOptions, type TopResult } from './run-top.js';
