import type { ActionHandler } from './ActionHandler.js';
import { commandHandler } from './handlers/commandHandler.js';
import { httpHandler } from './handlers/httpHandler.js';
import { simulationHandler } from './handlers/simulationHandler.js';
import { SIMULATION_PLANS } from './handlers/simulationPlans.js';
import { DEFAULT_STEP_DELAY_MS, type HandlerSpec } from './HandlerSpec.js';
import type { CommandStateDir } from './supervisor/CommandStateDir.js';

export interface RegisteredHandler {
  readonly kind: HandlerSpec['kind'];
  readonly run: ActionHandler;
}

/**
 * The handler for every action type this executor can run: the built-in types
 * in simulation mode unless the handlers file configures them, plus whatever
 * the file adds.
 */
export function buildHandlers(specs: ReadonlyMap<string, HandlerSpec>, options: { readonly stateDir?: CommandStateDir } = {}): Map<string, RegisteredHandler> {
  const handlers = new Map<string, RegisteredHandler>();
  for (const [type, plan] of Object.entries(SIMULATION_PLANS)) {
    handlers.set(type, { kind: 'simulate', run: simulationHandler(plan, DEFAULT_STEP_DELAY_MS) });
  }
  for (const [type, spec] of specs) {
    switch (spec.kind) {
      case 'simulate': {
        const plan = SIMULATION_PLANS[type];
        if (plan === undefined) throw new Error(`no simulation exists for action type "${type}"`);
        handlers.set(type, { kind: 'simulate', run: simulationHandler(plan, spec.stepDelayMs) });
        break;
      }
      case 'command':
        handlers.set(type, { kind: 'command', run: commandHandler(spec, { stateDir: options.stateDir }) });
        break;
      case 'http':
        handlers.set(type, { kind: 'http', run: httpHandler(spec) });
        break;
    }
  }
  return handlers;
}
