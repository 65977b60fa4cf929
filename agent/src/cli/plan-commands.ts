import type { Command } from 'commander';
import {
  compileValidated,
  convertBareon,
  convertNailgun,
  formatEntry,
  redactAction,
  renderActions,
  validatePlan,
  type Report,
  type ValidationResult,
} from '@anvil/shared';
import { readData, readInput, sourceName, toJson } from './io';
import { renderPlanTree } from './plan-tree';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

function printReport(io: Io, report: Report, source: string): void {
  for (const e of report.entries) io.err(formatEntry(e, source));
  const errors = report.entries.filter((e) => e.severity === 'error').length;
  const warnings = report.entries.length - errors;
  io.err(`${source}: ${report.valid ? 'valid' : 'invalid'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})`);
}

async function validateFile(file: string, inventoryPath: string | undefined): Promise<ValidationResult> {
  const text = await readInput(file);
  const inventory = inventoryPath === undefined ? undefined : await readData(inventoryPath);
  return validatePlan(text, inventory === undefined ? {} : { inventory });
}

export function registerPlanCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const plan = program.command('plan').description('validate, show, compile and convert plans');

  plan
    .command('validate')
    .argument('<file>', 'plan file (JSON or YAML), or - for stdin')
    .option('--inventory <file>', 'the machine’s disks (JSON), to resolve selectors and check real sizes')
    .option('--json', 'print the report as JSON')
    .description('check a plan completely; exit 0 when valid, 1 when not')
    .action(async (file: string, opts: { inventory?: string; json?: boolean }) => {
      const v = await validateFile(file, opts.inventory);
      if (opts.json) io.out(toJson({ valid: v.report.valid, entries: v.report.entries, untouchable: v.untouchable }));
      else printReport(io, v.report, sourceName(file));
      if (!opts.json && v.untouchable.length) io.err(`untouched disks: ${v.untouchable.join(', ')}`);
      setExit(v.report.valid ? 0 : 1);
    });

  plan
    .command('show')
    .argument('<file>', 'plan file, or -')
    .option('--inventory <file>', 'compute sizes on these disks')
    .description('print the plan as a tree: disks → partitions → arrays/LVM → filesystems and mounts')
    .action(async (file: string, opts: { inventory?: string }) => {
      const v = await validateFile(file, opts.inventory);
      if (!v.plan || !v.model) {
        printReport(io, v.report, sourceName(file));
        setExit(1);
        return;
      }
      io.out(renderPlanTree(v));
      if (!v.report.valid) {
        printReport(io, v.report, sourceName(file));
        setExit(1);
      } else setExit(0);
    });

  plan
    .command('compile')
    .argument('<file>', 'plan file, or -')
    .requiredOption('--inventory <file>', 'the machine’s disks (JSON)')
    .option('--json', 'print the actions as JSON')
    .option('--target-root <dir>', 'where the deployed tree is mounted', '/mnt/anvil')
    .option('--seed <text>', 'seed for derived filesystem UUIDs (default: the deployment id)')
    .description('print the exact, ordered actions and commands the agent would run (the dry-run)')
    .action(async (file: string, opts: { inventory: string; json?: boolean; targetRoot: string; seed?: string }) => {
      const v = await validateFile(file, opts.inventory);
      if (!v.report.valid) {
        printReport(io, v.report, sourceName(file));
        setExit(1);
        return;
      }
      const compiled = compileValidated(v, { targetRoot: opts.targetRoot, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
      // Image credentials and config drive contents stay out of the printed actions.
      io.out(opts.json ? toJson({ ...compiled, actions: compiled.actions.map(redactAction) }) : renderActions(compiled).trimEnd());
      setExit(0);
    });

  plan
    .command('convert')
    .argument('<file>', 'input file, or -')
    .requiredOption('--from <format>', 'nailgun (Fuel provision.json) or bareon (Ironic deploy_config)')
    .description('convert a Fuel/Nailgun or bareon layout into a native plan (stdout); remarks go to stderr')
    .action(async (file: string, opts: { from: string }) => {
      if (opts.from !== 'nailgun' && opts.from !== 'bareon') {
        io.err(`anvil: --from must be nailgun or bareon, not "${opts.from}"`);
        setExit(2);
        return;
      }
      const data = await readData(file);
      const result = opts.from === 'nailgun' ? convertNailgun(data) : convertBareon(data);
      io.out(toJson(result.plan));
      for (const w of result.warnings) io.err(`warning ${sourceName(file)} ${w.pointer || '/'}: ${w.message}`);
      const v = validatePlan(result.plan);
      for (const e of v.report.entries) io.err(formatEntry(e, '<converted plan>'));
      setExit(v.report.valid ? 0 : 1);
    });
}
