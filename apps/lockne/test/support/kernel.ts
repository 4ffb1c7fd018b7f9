// Test support: kernel requirements, fd-leak checking, unique names (shared by every package's suite).
export * from '@lockne/bpf/testing';
