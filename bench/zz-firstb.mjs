const { BpfObject } = await import('@lockne/bpf');
console.log('--- load start');
const t = process.hrtime.bigint();
const o = BpfObject.load('/work/main/bench/build/object-load.bpf.o');
const ms = Number(process.hrtime.bigint() - t) / 1e6;
console.log('--- load end');
o.close();
console.log('first', ms.toFixed(1));
