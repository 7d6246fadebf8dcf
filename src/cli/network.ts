/** The network factory the daemon uses: p2p/ once it is wired (none until then). */
import type { NetworkFactory } from "../node/daemon.ts";

/** No networking yet. */
export const createNetwork: NetworkFactory | undefined = undefined;
