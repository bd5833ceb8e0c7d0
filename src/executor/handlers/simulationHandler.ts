import { sleep } from '../../shared/abortableWait.js';
import type { ActionHandler } from '../ActionHandler.js';
import type { SimulationPlan } from './simulationPlans.js';

/**
 * Simulation mode: walks the action type's plan, checkpointing before each
 * step and logging the mutation it would make, changes nothing, and completes
 * with a result that says so.
 */
export function simulationHandler(plan: SimulationPlan, stepDelayMs: number): ActionHandler {
  return async ({ action, signal, checkpoint, log }) => {
    const steps = plan(action);
    for (const [index, wouldDo] of steps.entries()) {
      await checkpoint();
      log.info({ simulated: true, step: index + 1, steps: steps.length, wouldDo }, 'simulated step');
      if (stepDelayMs > 0) await sleep(stepDelayMs, signal);
    }
    await checkpoint();
    return {
      simulated: true,
      actionType: action.actionType,
      node: action.node,
      service: action.service,
      wouldHave: [...steps],
      note: 'simulation mode: nothing was changed; configure a handler in --handlers to run it for real',
    };
  };
}
