sum:  ; section xdp
; test.bpf.ts:3 let s: u32 = 0;
    0: r2 = 0
; test.bpf.ts:4 for (let i: u32 = 0; i < 8; i++) { if (i === ctx.rxQueueIndex) continue; s += i; }
    1: r3 = 0
    2: if w3 >= 8 goto +10
    3: r4 = *(u32 *)(r1 + 16)
    4: if w3 != w4 goto +1
    5: goto +3
    6: r4 = r2
    7: w4 += w3
    8: r2 = r4
    9: r4 = r3
   10: w4 += 1
   11: r3 = r4
   12: goto -11
; test.bpf.ts:5 return s > 20 ? XdpAction.PASS : XdpAction.DROP;
   13: if w2 <= 20 goto +2
   14: r0 = 2
   15: goto +1
   16: r0 = 1
   17: exit
