import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePlan, isTool, mkfsTool, TEST_TOOLS, TOOL_TABLE, TOOLS, type Command, type ToolInfo } from '@anvil/shared';
import { FS_TYPES } from '../../../../shared/src/plan/v1/filesystem';

const ROOT = join(__dirname, '../../../..');
const EXAMPLES = join(ROOT, 'docs/examples');

/** Every command, probe and stream process of the documented example plans (fallbacks too), with its action. */
function exampleCommands(): Array<{ example: string; kind: string; argv: readonly string[] }> {
  return readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.plan.json'))
    .flatMap((f) => {
      const example = f.replace(/\.plan\.json$/, '');
      const inventory = JSON.parse(readFileSync(join(EXAMPLES, `${example}.inventory.json`), 'utf8')) as unknown;
      const r = compilePlan(readFileSync(join(EXAMPLES, f), 'utf8'), { inventory });
      if (!r.compiled) throw new Error(`${example} does not compile`);
      const all = (cs: readonly Command[]): Command[] => cs.flatMap((c) => [c, ...(c.fallback ? all([c.fallback]) : [])]);
      return r.compiled.actions.flatMap((a) => all([...a.commands, ...(a.probes ?? []), ...(a.pipes ?? [])]).map((c) => ({ example, kind: a.kind, argv: c.argv })));
    });
}

describe('the tools table', () => {
  const commands = exampleCommands();

  it('has every program the example plans compile to, for the action that runs it, where it runs', () => {
    expect(commands.length).toBeGreaterThan(50);
    const wrong: string[] = [];
    for (const { example, kind, argv } of commands) {
      // chroot DIR TOOL …: chroot runs on the agent, the tool inside the deployed image.
      const inTarget = argv[0] === TOOLS.chroot;
      const tools: Array<[string, ToolInfo['runs']]> = inTarget ? [[argv[0]!, 'agent'], [argv[2]!, 'target']] : [[argv[0]!, 'agent']];
      for (const [name, runs] of tools) {
        if (!isTool(name)) wrong.push(`${example} ${kind}: ${name} is not in the table`);
        else {
          const t: ToolInfo = TOOL_TABLE[name];
          if (!(t.actions as readonly string[]).includes(kind)) wrong.push(`${example} ${kind}: ${name} does not list ${kind}`);
          if (t.runs !== runs) wrong.push(`${example} ${kind}: ${name} runs on the ${runs}, the table says ${t.runs}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has every command name the compiler uses and every mkfs', () => {
    for (const name of Object.values(TOOLS)) expect(isTool(name)).toBe(true);
    for (const fs of FS_TYPES) expect(isTool(mkfsTool(fs))).toBe(true);
  });

  it('names one package per program in both tables', () => {
    for (const [name, t] of Object.entries(TEST_TOOLS)) if (isTool(name)) expect(`${name}: ${t.package}`).toBe(`${name}: ${TOOL_TABLE[name].package}`);
    for (const t of Object.values(TOOL_TABLE) as ToolInfo[]) expect(t.package).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
  });

  it('is what the shell scripts read', () => {
    const tsv = readFileSync(join(ROOT, 'scripts/tools.tsv'), 'utf8');
    for (const name of Object.keys(TOOL_TABLE)) expect(tsv).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}\\t`, 'm'));
    expect(readFileSync(join(ROOT, 'scripts/setup-host.sh'), 'utf8')).toContain('tools.tsv');
  });
});
