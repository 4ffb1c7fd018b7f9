// Test support: kernel requirements, fd-leak checking, unique names (shared by every package's suite).
export * from '../../src/testing.js';
