/** Slot time: slot s starts at genesis time + s * slotMs; epochs are slotsPerEpoch slots. */
import type { PosParams } from "./params.ts";

/** The chain's slot clock. */
export class SlotClock {
  readonly params: PosParams;
  readonly genesisTime: number;

  constructor(params: PosParams, genesisTime: number) {
    this.params = params;
    this.genesisTime = genesisTime;
  }

  /** The slot under way at wall time `now` (0 before genesis). */
  slotAt(now: number): number {
    return Math.max(0, Math.floor((now - this.genesisTime) / this.params.slotMs));
  }

  /** When slot `slot` starts: the timestamp of a block of that slot. */
  slotStart(slot: number): number {
    return this.genesisTime + slot * this.params.slotMs;
  }
}
