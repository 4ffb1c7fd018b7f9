// Return a constant: the smallest program (prologue/epilogue cost only).
import { xdp, XdpAction } from '@lockne/kernel';

export const retConst = xdp((ctx) => XdpAction.PASS);
