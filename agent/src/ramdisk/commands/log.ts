import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentContext } from './context';
import type { CommandResult, CommandSpec } from './registry';

const SECRET_PARAM = /\b(ipa-agent-token|[\w.-]*(?:token|password|secret)[\w.-]*)=\S+/gi;

/** The kernel command line without secrets. */
export function redactCmdline(text: string): string {
  return text.replace(SECRET_PARAM, (_m, key: string) => `${key}=***`);
}

/**
 * `log.collect_system_logs`: a gzipped tar, base64-encoded, of the agent's log, lsblk, dmesg, mounts,
 * the kernel command line and the last plan (secrets removed), and the command results.
 */
export function logCommands(ctx: AgentContext, commands: () => readonly CommandResult[]): Map<string, CommandSpec> {
  const collect = async (): Promise<{ system_logs: string }> => {
    const dir = await mkdtemp(join(tmpdir(), 'anvil-logs-'));
    try {
      const capture = async (name: string, argv: string[]): Promise<void> => {
        const r = await ctx.runner.run(argv, { allowFail: true });
        await writeFile(join(dir, name), r.stdout + (r.stderr ? `\n--- stderr ---\n${r.stderr}` : ''));
      };
      await writeFile(join(dir, 'anvil-agent.log'), ctx.recentLog());
      await capture('lsblk.json', ['lsblk', '--json', '--bytes', '--output-all', '--paths']);
      await capture('dmesg.txt', ['dmesg']);
      await capture('blkid.txt', ['blkid']);
      const readOr = async (p: string): Promise<string> => readFile(p, 'utf8').catch(() => '');
      await writeFile(join(dir, 'mounts.txt'), await readOr('/proc/mounts'));
      await writeFile(join(dir, 'cmdline.txt'), redactCmdline(await readOr('/proc/cmdline')));
      await writeFile(join(dir, 'plan.json'), ctx.lastPlan ? `// ${ctx.lastPlan.origin}: ${ctx.lastPlan.name}\n${ctx.lastPlan.redacted}\n` : '// no plan was resolved\n');
      await writeFile(join(dir, 'commands.json'), JSON.stringify(commands(), null, 2));
      const archive = `${dir}.tar.gz`;
      await ctx.runner.run(['tar', '-czf', archive, '-C', dir, '.']);
      const data = await readFile(archive);
      await rm(archive, { force: true });
      return { system_logs: data.toString('base64') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  return new Map<string, CommandSpec>([['log.collect_system_logs', { async: false, run: collect }]]);
}
