// Preloaded into the bench's server children (bench/run.sh copies it next to the compiled bench:
// node --expose-gc --import ./.bench-build/bench/killswitchGcOnSignal.mjs ...).
// On SIGUSR2 the process runs a full garbage collection, then, if KILLSWITCH_MEMORY_DIR is set, writes
// its process.memoryUsage() and a reading number to $KILLSWITCH_MEMORY_DIR/memory-PID.json. The bench
// reads resident size after that, so it counts live memory rather than garbage an idle server has not
// collected yet. Nothing else changes in the server.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const collect = globalThis.gc;
const dir = process.env.KILLSWITCH_MEMORY_DIR;
let reading = 0;
if (typeof collect === 'function') {
  process.on('SIGUSR2', () => {
    collect();
    if (dir === undefined) return;
    const file = join(dir, `memory-${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ reading: ++reading, ...process.memoryUsage() }));
    renameSync(`${file}.tmp`, file);
  });
}
