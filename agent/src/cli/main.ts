import { Command, CommanderError } from 'commander';
import { AnvilError } from '@anvil/shared';
import { registerPlanCommands, type Io } from './plan-commands';
import { registerProvisionCommand } from './provision-command';
import { registerAgentCommand } from './agent-command';
import { registerStandaloneCommand } from './standalone-command';
import { registerDeployCommand } from './deploy-command';
import { registerServiceCommands } from './service-commands';
import { registerBootstrapCommands } from './bootstrap-commands';
import { registerBootstrapBuild } from './bootstrap-build';
import { CliCloud } from './cli-cloud';

const defaultIo: Io = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

/** The `anvil` command. Exit codes: 0 success/valid, 1 invalid plan or failure, 2 usage error. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let exit = 0;
  const program = new Command('anvil')
    .description('Anvil: advanced bare-metal provisioning for OpenStack Ironic')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(false)
    .option('--os-cloud <name>', 'a cloud of clouds.yaml for Keystone (default: $OS_CLOUD; without one, the OS_* variables)');
  const cloud = new CliCloud(() => program.opts<{ osCloud?: string }>().osCloud);
  const setExit = (code: number): void => {
    exit = code;
  };
  registerPlanCommands(program, io, setExit);
  registerProvisionCommand(program, io, setExit);
  registerAgentCommand(program, io, setExit);
  registerStandaloneCommand(program, io, setExit);
  registerDeployCommand(program, io, setExit, cloud);
  registerServiceCommands(program, io, setExit, cloud);
  // The `bootstrap` group (import, list, activate, delete) and its `build`.
  registerBootstrapBuild(registerBootstrapCommands(program, io, setExit, cloud), io, setExit);
  for (const cmd of program.commands) {
    cmd.exitOverride();
    for (const sub of cmd.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync([...argv]);
    return exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return 2;
    }
    if (err instanceof AnvilError) {
      io.err(`anvil: ${err.message} [${err.code}]`);
      return err.code.startsWith('cli.') ? 2 : 1;
    }
    throw err;
  }
}
