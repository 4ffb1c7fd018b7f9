// Socket/packet helpers. Each accepts the contexts the kernel allows it for.
import type { u32, u64, i64 } from '../ints.js';
import type { SkBuffContext } from '../context/skbuff.js';
import type { SockContext, SockAddrContext } from '../context/sock.js';
import type { SockoptContext } from '../context/sockopt.js';
import { kernelOnly } from '../kernel-only.js';

/** bpf_get_socket_cookie: a stable 64-bit id of the socket (0 if none). Kernel 4.12 (skb), 5.7 (sock). */
export function getSocketCookie(_ctx: SkBuffContext | SockContext | SockAddrContext): u64 { return kernelOnly('bpf.getSocketCookie'); }
/** bpf_get_socket_uid: owner uid of the skb's socket (overflowuid if none). Kernel 4.12. */
export function getSocketUid(_ctx: SkBuffContext): u32 { return kernelOnly('bpf.getSocketUid'); }
/** bpf_get_netns_cookie: the network namespace cookie. Kernel 5.7 (sock, sock_addr, skb), 5.15 (sockopt). */
export function getNetnsCookie(_ctx: SkBuffContext | SockContext | SockAddrContext | SockoptContext): u64 { return kernelOnly('bpf.getNetnsCookie'); }
/** bpf_redirect: redirect to ifindex (flags BPF_F_INGRESS=1). Returns XDP_REDIRECT/TC_ACT_REDIRECT. Kernel 4.4. */
export function redirect(_ifindex: u32 | number, _flags: u64): i64 { return kernelOnly('bpf.redirect'); }
