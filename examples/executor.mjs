// Claims one approved redeploy, runs it under the kill switch, reports the outcome, and exits.
import { ExecutorSession, sleep } from 'actiongate';

const server = process.env.ACTIONGATE_SERVER ?? '127.0.0.1:50051';
const executorId = process.env.ACTIONGATE_EXECUTOR_ID ?? 'executor-1';
const stepMs = Number(process.env.STEP_SECONDS ?? 20) * 1000;
const leaseTtlSeconds = Number(process.env.LEASE_TTL_SECONDS ?? 30);

/** Stands in for real work: pass `signal` on to whatever runs (spawn, fetch, ...) so a terminate stops it. */
async function runStep(step, action, { signal }) {
  console.log(`${step}: ${action.service} on ${action.node}`);
  await sleep(stepMs, signal);
}

const session = new ExecutorSession({ server, executorId });
try {
  const claimed = await session.claim({ actionTypes: ['redeploy_service'], leaseTtlSeconds, waitSeconds: 20 });
  if (claimed === null) {
    console.log('nothing to run');
  } else {
    // While the handler runs, heartbeats keep the lease; checkpoint() waits while the action
    // is paused and throws once it is terminated, and signal aborts on terminate.
    const outcome = await claimed.run(async ({ action, signal, checkpoint }) => {
      for (const step of ['drain', 'deploy', 'verify']) {
        await checkpoint();
        await runStep(step, action, { signal });
      }
      return { redeployed: action.service };
    });
    // 'completed' or 'failed' (reported to the server), or 'stopped' (terminated, or the lease was lost)
    console.log(`${claimed.actionId}: ${outcome.kind}`);
  }
} finally {
  await session.close(); // releases what is held, ends the control stream, closes the channels
}
