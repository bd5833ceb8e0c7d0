import { fileURLToPath } from 'node:url';

/** The compiled command supervisor, beside this module in dist/; run with process.execPath. */
export const COMMAND_SUPERVISOR_SCRIPT = fileURLToPath(new URL('./commandSupervisor.js', import.meta.url));
