// A small rtnetlink client: wire format (message.ts), a synchronous socket
// (socket.ts), link/XDP messages (link.ts) and tc qdisc/filter messages (tc.ts).
// Exported from the package as the `netlink` namespace.
export * from './consts.js';
export * from './message.js';
export * from './socket.js';
export * from './link.js';
export * from './tc.js';
