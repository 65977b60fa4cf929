import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { EXAMPLES_DIR } from '../helpers/examples';

// The installed bin as a user runs it: a real process, so not a unit test.
describe('the anvil command', () => {
  it('runs as `npx anvil` from the repository root', () => {
    const root = join(__dirname, '../..');
    const out = execFileSync('npx', ['--no-install', 'anvil', 'plan', 'validate', '--json', join(EXAMPLES_DIR, 'keep-srv.plan.json')], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toMatchObject({ valid: true });
  });
});
