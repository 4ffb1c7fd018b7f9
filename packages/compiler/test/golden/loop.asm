sum:  ; section xdp
; test.bpf.ts:3 let s: u32 = 0;
    0: r2 = 0
; test.bpf.ts:4 for (let i: u32 = 0; i < 8; i++) { if (i === ctx.rxQueueIndex) continue; s += i; }
    1: r3 = 0
    2: r4 = *(u32 *)(r1 + 16)
    3: if w3 == w4 goto +1
    4: w2 += w3
    5: w3 += 1
    6: if w3 < 8 goto -5
; test.bpf.ts:5 return s > 20 ? XdpAction.PASS : XdpAction.DROP;
    7: if w2 <= 20 goto +2
    8: r0 = 2
    9: exit
   10: r0 = 1
   11: exit
