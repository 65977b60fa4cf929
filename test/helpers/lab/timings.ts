/**
 * A deploy's timeline from what the lab records: the BMC's requests (bmc.log) and the agent's JSON log lines
 * on the serial console (each carries pino's `time`, ISO 8601 or epoch ms, so console lines need no clock of their own).
 */
export interface ScenarioTimings {
  readonly scenario: string;
  readonly firmware: 'bios' | 'uefi';
  readonly bootstrap: string;
  readonly boot_interface: string;
  readonly power_on_to_lookup_s?: number;
  readonly lookup_to_deploy_step_s?: number;
  readonly plan_fetch_to_image_written_s?: number;
  readonly active_to_cloud_init_s: number;
  readonly total_s: number;
  /** The agent's own time: start → lookup, step start → plan, image written → step done. */
  readonly agent_overhead_s?: number;
  /** Of that, the deployed OS's own tools run in its chroot (update-initramfs, grub-mkconfig, grub-install). */
  readonly agent_overhead_in_chroot_s?: number;
  /** Of that, what no command accounts for: the agent's own code, waits for devices, Ironic's calls. */
  readonly agent_overhead_outside_commands_s?: number;
}

export interface AgentLine {
  readonly time: number;
  readonly msg: string;
  readonly command?: string;
  /** A command the agent ran (its runner's op lines), and how it ended. */
  readonly cmd?: string;
  readonly exitCode?: number;
  /** On a command's `[finished]`/`[failed]` line: how long it ran. */
  readonly duration_ms?: number;
  /** The agent's progress events, as it also sends them to the driver-service. */
  readonly progress?: { readonly type?: string; readonly kind?: string; readonly status?: string };
}

/** The actions that write an image (their stage `end` is when the image is on disk). */
const IMAGE_KINDS = new Set(['write_image', 'extract_image']);

/** The agent's log lines in a console text (journald prefixes them; the JSON object is the rest of the line). */
export function agentLines(consoleText: string): AgentLine[] {
  const out: AgentLine[] = [];
  for (const line of consoleText.split('\n')) {
    const at = line.indexOf('{"level"');
    if (at < 0) continue;
    try {
      const o = JSON.parse(line.slice(at)) as Omit<Partial<AgentLine>, 'time'> & { time?: number | string };
      const time = typeof o.time === 'string' ? Date.parse(o.time) : o.time;
      if (typeof time === 'number' && Number.isFinite(time) && typeof o.msg === 'string') out.push({ ...(o as AgentLine), time });
    } catch {
      // a line the console cut or interleaved: not one of the agent's
    }
  }
  return out;
}

const seconds = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : Math.round((b - a) / 100) / 10);

export function consoleTimings(i: { scenario: string; firmware: 'bios' | 'uefi'; bootstrap: string; bootInterface?: string; console: string; bmc: { at: number; event: string }[]; requestedAt: number; activeAt: number; markerAt: number }): ScenarioTimings {
  const lines = agentLines(i.console);
  const first = (p: (l: AgentLine) => boolean): number | undefined => lines.find(p)?.time;
  const powerOn = i.bmc.find((e) => e.event.startsWith('power on boot=pxe'))?.at;
  const agentStart = lines[0]?.time;
  const lookup = first((l) => l.msg === 'lookup found the node');
  const stepStart = first((l) => l.msg === 'command started' && l.command === 'deploy.execute_deploy_step');
  const plan = first((l) => l.msg === 'plan resolved');
  const imageWritten = lines.filter((l) => l.progress?.type === 'stage' && l.progress.status === 'end' && IMAGE_KINDS.has(l.progress.kind ?? '')).at(-1)?.time;
  const stepDone = lines.find((l) => l.msg === 'command succeeded' && l.command === 'deploy.execute_deploy_step')?.time;
  const parts = [seconds(agentStart, lookup), seconds(stepStart, plan), seconds(imageWritten, stepDone)];
  // The commands that ended inside those windows (each line is logged when its command ends), split by where they ran.
  const windows: Array<[number | undefined, number | undefined]> = [[agentStart, lookup], [stepStart, plan], [imageWritten, stepDone]];
  const ended = lines.filter((l) => l.cmd !== undefined && l.duration_ms !== undefined && windows.some(([a, b]) => a !== undefined && b !== undefined && l.time > a && l.time <= b));
  const sumS = (ls: AgentLine[]): number => Math.round(ls.reduce((t, l) => t + l.duration_ms!, 0) / 100) / 10;
  const overhead = parts.every((p) => p !== undefined) ? Math.round(parts.reduce((a, b) => a! + b!, 0)! * 10) / 10 : undefined;
  const inChroot = sumS(ended.filter((l) => l.cmd!.startsWith('chroot ')));
  return {
    scenario: i.scenario,
    firmware: i.firmware,
    bootstrap: i.bootstrap,
    boot_interface: i.bootInterface ?? 'ipxe',
    ...opt('power_on_to_lookup_s', seconds(powerOn, lookup)),
    ...opt('lookup_to_deploy_step_s', seconds(lookup, stepStart)),
    ...opt('plan_fetch_to_image_written_s', seconds(plan, imageWritten)),
    active_to_cloud_init_s: seconds(i.activeAt, i.markerAt)!,
    total_s: seconds(i.requestedAt, i.markerAt)!,
    ...opt('agent_overhead_s', overhead),
    ...opt('agent_overhead_in_chroot_s', overhead === undefined ? undefined : inChroot),
    ...opt('agent_overhead_outside_commands_s', overhead === undefined ? undefined : Math.max(0, Math.round((overhead - sumS(ended)) * 10) / 10)),
  };
}

function opt<K extends string>(k: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [k]: v } as Record<K, number>);
}
