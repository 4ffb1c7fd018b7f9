// The snapshot source `lockne top` polls: the pinned maps, opened once.
import { openMaps } from '../kernel/maps.js';
import type { LockneState } from '../deploy/state.js';
import type { TopSnapshot } from '../tui/model.js';
import { takeSnapshot } from './snapshot.js';

export function snapshotSource(state: LockneState): { take: () => TopSnapshot; close: () => void } {
  const maps = openMaps(state.pinDir);
  return { take: () => takeSnapshot(state, maps), close: () => maps.close() };
}
