countPackets:  ; section xdp
; test.bpf.ts:4 const key: u32 = u32(ctx.ingressIfindex);
    0: r6 = *(u32 *)(r1 + 12)
; test.bpf.ts:5 const v = counts.lookup(key);
    1: *(u32 *)(r10 - 4) = r6
    2: r1 = map_fd(counts) ll
    4: r2 = r10
    5: r2 += -4
    6: call bpf_map_lookup_elem#1
; test.bpf.ts:6 if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
    7: if r0 == 0 goto +4
    8: r1 = *(u64 *)(r0 + 0)
    9: r1 += 1
   10: *(u64 *)(r0 + 0) = r1
   11: goto +10
   12: *(u32 *)(r10 - 8) = r6
   13: *(u64 *)(r10 - 16) = 1
   14: r1 = map_fd(counts) ll
   16: r2 = r10
   17: r2 += -8
   18: r3 = r10
   19: r3 += -16
   20: r4 = 0
   21: call bpf_map_update_elem#2
; test.bpf.ts:7 return XdpAction.PASS;
   22: r0 = 2
   23: exit
