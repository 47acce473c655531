// Runs `xhht export ARGS` the way src/cli/main.ts will once the command is wired there.
import { exportCommand } from '../../src/export/cli.ts';

process.exitCode = await exportCommand(process.argv.slice(2));
