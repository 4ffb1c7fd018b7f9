// What a deployment is made from: the config module's parsed config (or the
// ad-hoc one `run --via` builds). Named here for the deploy code's readers.
import type { LockneConfig, LockneSettings, ProfileConfig } from '../config/types.js';

export type DeploySpec = LockneConfig;
export type DeploySettings = LockneSettings;
export type ProfileSpec = ProfileConfig;

/** The mask that tells Lockne's marks from others: profile marks are markBase + 1..15. */
export const MARK_MASK = 0xffff0000;
