countPackets:  ; section xdp
; test.bpf.ts:4 const key: u32 = u32(ctx.ingressIfindex);
    0: r1 = *(u32 *)(r1 + 12)
    1: r6 = r1
; test.bpf.ts:5 const v = counts.lookup(key);
    2: *(u32 *)(r10 - 4) = r6
    3: r1 = map_fd(counts) ll
    5: r2 = r10
    6: r2 += -4
    7: call bpf_map_lookup_elem#1
; test.bpf.ts:6 if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
    8: if r0 == 0 goto +4
    9: r1 = *(u64 *)(r0 + 0)
   10: r1 += 1
   11: *(u64 *)(r0 + 0) = r1
   12: goto +10
   13: *(u32 *)(r10 - 8) = r6
   14: *(u64 *)(r10 - 16) = 1
   15: r1 = map_fd(counts) ll
   17: r2 = r10
   18: r2 += -8
   19: r3 = r10
   20: r3 += -16
   21: r4 = 0
   22: call bpf_map_update_elem#2
; test.bpf.ts:7 return XdpAction.PASS;
   23: r0 = 2
   24: exit
