import type { ExecutorLog } from '../ExecutorLog.js';
import type { CommandRecord } from './CommandRecord.js';
import type { CommandStateDir } from './CommandStateDir.js';
import { killRecordedCommand } from './killRecordedCommand.js';
import { readProcessStat } from './processStat.js';

/** Whether the executor that wrote the record is still running (the same process, not a later one with its pid). */
function writerAlive(record: CommandRecord): boolean {
  if (record.executorPid === process.pid) return false;
  const stat = readProcessStat(record.executorPid);
  return stat !== null && stat.state !== 'Z' && stat.startTime === record.executorStartTime;
}

/**
 * At start, before claiming anything: kills the commands a previous instance
 * of this executor left running (it died too hard for its supervisors to do
 * it, or they died with it), so a command never runs twice at once once its
 * lease has passed to another executor. Each record's pid is checked against
 * its recorded start time first; a pid now used by another process is left
 * alone. Records of an executor that is still running (two executors sharing
 * one state directory) are left as they are.
 */
export async function killLeftoverCommands(stateDir: CommandStateDir, log: ExecutorLog): Promise<void> {
  const work = stateDir.entries().map(async ({ file, record }) => {
    if (record === null) {
      log.warn({ stateDir: stateDir.dir, file }, 'state directory: not a command record; left as it is');
      return;
    }
    const fields = { pid: record.pid, actionId: record.actionId, program: record.program, startedAt: record.startedAt };
    if (writerAlive(record)) {
      log.warn({ ...fields, executorPid: record.executorPid, stateDir: stateDir.dir }, 'state directory is shared with a running executor: its command is left alone; give each executor a --state-dir of its own');
      return;
    }
    log.warn(fields, 'found a command record of a previous run');
    const outcome = await killRecordedCommand(record);
    switch (outcome) {
      case 'killed':
        log.warn(fields, 'killed a command left running by a previous run');
        break;
      case 'survived':
        log.error(fields, 'a command left by a previous run is still there after SIGKILL');
        return; // kept, so the next start tries again
      case 'gone':
        log.info(fields, 'the command of a previous run had already exited');
        break;
      case 'recycled':
        log.info(fields, 'the recorded pid now belongs to another process: left alone');
        break;
      case 'unverifiable':
        log.warn(fields, 'cannot verify the recorded pid (no /proc): left alone');
        break;
    }
    stateDir.removeFile(file);
  });
  await Promise.all(work);
}
