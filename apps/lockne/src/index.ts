export const VERSION = "0.1.0";
export * from './config/index.js';
