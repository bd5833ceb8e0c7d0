import { pino } from 'pino';
import { ActionClient } from '../client/ActionClient.js';
import { connectionOptions } from '../client/connectionOptions.js';
import { ControlClient } from '../client/ControlClient.js';
import { ControlSubscriber } from '../client/ControlSubscriber.js';
import { buildHandlers } from '../executor/buildHandlers.js';
import { Executor } from '../executor/Executor.js';
import type { HandlerSpec } from '../executor/HandlerSpec.js';
import { loadExecutorConfig } from '../executor/loadExecutorConfig.js';
import { parseHandlersFile } from '../executor/parseHandlersFile.js';
import { resolveActionTypes } from '../executor/resolveActionTypes.js';
import { CommandStateDir } from '../executor/supervisor/CommandStateDir.js';
import { killLeftoverCommands } from '../executor/supervisor/killLeftoverCommands.js';
import { readConfigText } from '../shared/readConfigFile.js';

function readHandlers(file: string | null): Map<string, HandlerSpec> {
  if (file === null) return new Map();
  return parseHandlersFile(readConfigText(file, 'handlers file'), file);
}

/**
 * `actiongate executor`: runs until SIGTERM or SIGINT, then stops claiming,
 * lets running actions finish for the grace period and aborts the rest; a
 * second signal aborts them at once. Resolves with the exit code.
 */
export async function executorCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let executor: Executor;
  const log = pino({ level: 'info', base: { service: 'actiongate-executor' } });
  let actions: ActionClient | undefined;
  let control: ControlClient | undefined;
  let stateDir: CommandStateDir;
  let executorLog: typeof log;
  try {
    const config = loadExecutorConfig(argv, env);
    stateDir = CommandStateDir.open(config.stateDir);
    const handlers = buildHandlers(readHandlers(config.handlersFile), { stateDir });
    const actionTypes = resolveActionTypes(config.actionTypes, handlers.keys());
    log.level = config.logLevel;
    executorLog = log.child({ executorId: config.executorId });
    const clientOptions = { ...connectionOptions(config.connection), keepaliveTimeMs: config.keepaliveTimeMs, keepaliveTimeoutMs: config.keepaliveTimeoutMs };
    actions = new ActionClient(config.server, clientOptions);
    control = new ControlClient(config.server, clientOptions);
    const subscriber = new ControlSubscriber(control, config.executorId, {
      onError: (err) => log.warn({ err, executorId: config.executorId }, 'acknowledging control signals failed'),
      disconnectGraceMs: config.disconnectGraceMs ?? undefined,
    });
    executor = new Executor({ actions, subscriber, handlers, actionTypes, config, log });
  } catch (err) {
    actions?.close();
    control?.close();
    throw err;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    log.info({ signal }, 'signal received');
    if (signals === 1) executor.stop();
    else executor.abortNow();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    // Before any claim: a command a dead predecessor left running must not run beside its retry.
    await killLeftoverCommands(stateDir, executorLog);
    await executor.run();
    return 0;
  } catch (err) {
    log.fatal({ err }, 'executor failed');
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    actions.close();
    control.close();
  }
}
