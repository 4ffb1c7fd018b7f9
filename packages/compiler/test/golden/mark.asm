big:  ; section tc
; test.bpf.ts:3 const len = ctx.len;
    0: r2 = *(u32 *)(r1 + 0)
; test.bpf.ts:4 if (len > 1000 && ctx.protocol !== 0) return TcAction.SHOT;
    1: if w2 <= 1000 goto +4
    2: r1 = *(u32 *)(r1 + 16)
    3: if w1 == 0 goto +2
    4: r0 = 2
    5: exit
; test.bpf.ts:5 return TcAction.OK;
    6: r0 = 0
    7: exit
