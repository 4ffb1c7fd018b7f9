// The names and addresses of a topology, derived from its prefix alone (pure:
// no processes, no kernel). The plan itself is documented in topology.ts.

/** IFNAMSIZ - 1: the longest interface name the kernel accepts. */
export const MAX_IFNAME = 15;
/** TCP and UDP port of the server's whoami services. */
export const WHOAMI_PORT = 7777;
/** UDP port of the server's DNS service. */
export const DNS_PORT = 53;
/** UDP port the server-side wireguard-go of tunnel k listens on: WG_PORT_BASE + k. */
export const WG_PORT_BASE = 51820;
/** Most tunnels a topology builds (keeps 10.78.<k>.x and fd4c:78:<k>:: simple). */
export const MAX_TUNNELS = 99;

/** One address family pair. */
export interface Addresses {
  v4: string;
  v6: string;
}

/** Both ends of one path between the namespaces. */
export interface PathAddresses {
  client: Addresses;
  server: Addresses;
}

/** What a tunnel is called and where it lives, before anything exists. */
export interface TunnelPlan {
  /** 1-based; appears in the addresses (10.78.<index>.2). */
  index: number;
  /** Label used in records and the demo (default `tunnel<index>`). */
  name: string;
  /** wireguard-go interface in the client namespace. */
  clientIf: string;
  /** Peer wireguard-go interface in the server namespace. */
  serverIf: string;
  /** UDP port of the server-side peer, reached over the veth. */
  serverPort: number;
  addresses: PathAddresses;
}

/** Every name and address of a topology. */
export interface TopologyPlan {
  prefix: string;
  clientNetns: string;
  serverNetns: string;
  vethClient: string;
  vethServer: string;
  direct: PathAddresses;
  tunnels: TunnelPlan[];
}

/**
 * The plan for `prefix` with `tunnels` (a count or the tunnels' names).
 * Throws when a derived interface name would exceed 15 characters or the
 * prefix has characters `ip` would not take.
 *
 * @example
 *   const p = planTopology('lkt4242', 2);
 *   p.clientNetns;            // 'lkt4242c'
 *   p.tunnels[1].clientIf;    // 'lkt4242w2'
 *   p.tunnels[1].addresses.client.v4; // '10.78.2.2'
 */
export function planTopology(prefix: string, tunnels: number | readonly string[] = 2): TopologyPlan {
  if (!/^[a-z][a-z0-9]*$/.test(prefix)) {
    throw new Error(`topology prefix '${prefix}' must be lower-case letters and digits, starting with a letter`);
  }
  if (!prefix.startsWith('lk')) throw new Error(`topology prefix '${prefix}' must start with 'lk' (so cleanup can find it)`);
  const names = typeof tunnels === 'number' ? Array.from({ length: tunnels }, (_, i) => `tunnel${i + 1}`) : [...tunnels];
  if (!Number.isInteger(names.length) || names.length < 0 || names.length > MAX_TUNNELS) {
    throw new Error(`topology tunnels: ${String(tunnels)} is not a count between 0 and ${MAX_TUNNELS}`);
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (n === 'direct' || n === '' || seen.has(n)) throw new Error(`topology tunnel name '${n}' is empty, 'direct' or repeated`);
    seen.add(n);
  }
  const plan: TopologyPlan = {
    prefix,
    clientNetns: `${prefix}c`,
    serverNetns: `${prefix}s`,
    vethClient: `${prefix}vc`,
    vethServer: `${prefix}vs`,
    direct: {
      client: { v4: '10.77.0.2', v6: 'fd4c:77::2' },
      server: { v4: '10.77.0.1', v6: 'fd4c:77::1' },
    },
    tunnels: names.map((name, i) => {
      const k = i + 1;
      return {
        index: k,
        name,
        clientIf: `${prefix}w${k}`,
        serverIf: `${prefix}p${k}`,
        serverPort: WG_PORT_BASE + k,
        addresses: {
          client: { v4: `10.78.${k}.2`, v6: `fd4c:78:${k}::2` },
          server: { v4: `10.78.${k}.1`, v6: `fd4c:78:${k}::1` },
        },
      };
    }),
  };
  for (const ifname of [plan.vethClient, plan.vethServer, ...plan.tunnels.flatMap((t) => [t.clientIf, t.serverIf])]) {
    if (ifname.length > MAX_IFNAME) {
      throw new Error(`topology prefix '${prefix}' is too long: interface '${ifname}' has ${ifname.length} characters (max ${MAX_IFNAME})`);
    }
  }
  return plan;
}

/** Every address the server owns (direct and tunnel, v4 then v6). */
export function serverAddresses(plan: TopologyPlan, ipv6: boolean): string[] {
  const all = [plan.direct.server, ...plan.tunnels.map((t) => t.addresses.server)];
  return [...all.map((a) => a.v4), ...(ipv6 ? all.map((a) => a.v6) : [])];
}

/**
 * Which path a client source address seen at the server belongs to:
 * client address -> 'direct' or the tunnel's name.
 */
export function pathsBySource(plan: TopologyPlan): Record<string, string> {
  const out: Record<string, string> = {
    [plan.direct.client.v4]: 'direct',
    [plan.direct.client.v6]: 'direct',
  };
  for (const t of plan.tunnels) {
    out[t.addresses.client.v4] = t.name;
    out[t.addresses.client.v6] = t.name;
  }
  return out;
}

/**
 * The prefix a topology-made name belongs to, or null: strips the role suffix
 * of a namespace (`c`/`s`) or interface (`vc`, `vs`, `w<k>`, `p<k>`).
 *
 * @example prefixOfName('lkt42w2', 'iface') // 'lkt42'
 */
export function prefixOfName(name: string, kind: 'netns' | 'iface'): string | null {
  const m = kind === 'netns' ? /^(lk[a-z0-9]*?)[cs]$/.exec(name) : /^(lk[a-z0-9]*?)(?:vc|vs|w\d+|p\d+)$/.exec(name);
  return m ? m[1]! : null;
}
