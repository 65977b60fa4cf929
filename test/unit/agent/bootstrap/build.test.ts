import { BootstrapMetadata, BS_ROOT_PLACEHOLDER } from '@anvil/shared';
import { parse as parseYaml } from 'yaml';
import { aptPreferences, effectiveRepos, isDirect, proxyAptOptions, proxyFor } from '../../../../agent/src/bootstrap/build/apt';
import { agentToolPackages, imagePackages } from '../../../../agent/src/bootstrap/build/contents';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS, agentUnit, checkNodeVersion } from '../../../../agent/src/bootstrap/build/agent-files';
import { buildMetadata, imageKopts, metadataYaml, recordedOptions } from '../../../../agent/src/bootstrap/build/metadata';
import { formatRepo, parseConfigFile, parseRepo, redactProxy, resolveBuildOptions } from '../../../../agent/src/bootstrap/build/options';
import { BuildProgress } from '../../../../agent/src/bootstrap/build/progress';
import { customizeScript, mmdebstrapArgv } from '../../../../agent/src/bootstrap/build/rootfs';
import { probeRepos, releaseUrls } from '../../../../agent/src/bootstrap/build/probe';
import { RecordingRunner } from '../../../helpers/recording-runner';
import { loadAgentConfig } from '../../../../agent/src/ramdisk/config';

const noEnv = {};

describe('bootstrap build: options', () => {
  it('parses fuel-bootstrap --repo lines, with and without a priority', () => {
    expect(parseRepo('deb http://mirror.example/mos/ubuntu/8.0 mos8.0 main restricted,priority=1101')).toEqual({ type: 'deb', uri: 'http://mirror.example/mos/ubuntu/8.0', suite: 'mos8.0', components: ['main', 'restricted'], priority: 1101 });
    expect(parseRepo('http://deb.debian.org/debian/ bookworm main')).toEqual({ type: 'deb', uri: 'http://deb.debian.org/debian', suite: 'bookworm', components: ['main'] });
    expect(parseRepo('deb http://repo.example/flat ./')).toMatchObject({ suite: './', components: [] });
    expect(() => parseRepo('deb mirror bookworm main')).toThrow(expect.objectContaining({ code: 'bootstrap.bad_option' }));
    expect(() => parseRepo('deb http://x bookworm')).toThrow(/no components/);
  });

  it('takes a signed-by keyring on a --repo line or in a config file, and writes it back into the sources line', () => {
    const r = parseRepo('deb [signed-by=/etc/apt/keyrings/mos.gpg] http://mirror.example/mos bookworm main,priority=1001');
    expect(r).toEqual({ type: 'deb', uri: 'http://mirror.example/mos', suite: 'bookworm', components: ['main'], priority: 1001, signedBy: '/etc/apt/keyrings/mos.gpg' });
    expect(formatRepo(r)).toBe('deb [signed-by=/etc/apt/keyrings/mos.gpg] http://mirror.example/mos bookworm main');
    expect(() => parseRepo('deb [arch=amd64] http://mirror.example/mos bookworm main')).toThrow(/only \[signed-by=/);
    expect(() => parseRepo('deb [signed-by=keys/mos.gpg] http://mirror.example/mos bookworm main')).toThrow(expect.objectContaining({ code: 'bootstrap.bad_option' }));
    const cfg = parseConfigFile('repo:\n  - { uri: "http://mirror.example/mos", suite: bookworm, components: [main], signed_by: /etc/apt/keyrings/mos.gpg }\n');
    expect(cfg.repo?.[0]).toMatchObject({ signedBy: '/etc/apt/keyrings/mos.gpg' });
  });

  it('takes defaults, the environment’s proxies, a YAML config file, and lets flags win', () => {
    const d = resolveBuildOptions({}, noEnv);
    expect(d).toMatchObject({ kernelFlavor: 'amd64', release: 'bookworm', format: 'initramfs', outputDir: '/tmp', repos: [], packages: [], activate: false, extendKopts: '' });
    expect(resolveBuildOptions({}, { HTTP_PROXY: 'http://proxy:3128', https_proxy: 'http://proxy:3129' })).toMatchObject({ httpProxy: 'http://proxy:3128', httpsProxy: 'http://proxy:3129' });
    const file = `
repo:
  - deb http://mirror.example/debian bookworm main non-free-firmware
  - { uri: http://repo.example/mlnx, suite: bookworm, components: [main], priority: 1001 }
http-proxy: http://user:secret@proxy:3128
direct_repo_addr: repo.example
package: [firmware-bnx2x, mstflint]
extend_kopts: "panic=120 biosdevname=0"
label: with-mellanox
format: live
activate: true
`;
    const o = resolveBuildOptions({ configFile: 'b.yaml', label: 'from-flag', package: ['screen'] }, noEnv, () => file);
    expect(o.repos).toHaveLength(2);
    expect(o.repos[1]).toMatchObject({ uri: 'http://repo.example/mlnx', priority: 1001 });
    expect(o).toMatchObject({ httpProxy: 'http://user:secret@proxy:3128', directRepoAddrs: ['repo.example'], packages: ['screen'], extendKopts: 'panic=120 biosdevname=0', label: 'from-flag', format: 'live', activate: true });
  });

  it('refuses unknown keys, bad values and unreadable files with bootstrap.bad_option', () => {
    expect(() => parseConfigFile('colour: blue')).toThrow(expect.objectContaining({ code: 'bootstrap.bad_option' }));
    expect(() => parseConfigFile('format: iso')).toThrow(/format/);
    expect(() => parseConfigFile('- a\n- b')).toThrow(/mapping/);
    expect(() => resolveBuildOptions({ kernelFlavor: 'arm64' }, noEnv)).toThrow(expect.objectContaining({ code: 'bootstrap.bad_option' }));
    expect(() => resolveBuildOptions({ package: ['Bad Name'] }, noEnv)).toThrow(/package/);
    expect(() => resolveBuildOptions({ configFile: '/nope' }, noEnv, () => {
      throw new Error('ENOENT');
    })).toThrow(/--config-file \/nope/);
  });

  it('masks proxy credentials', () => {
    expect(redactProxy('http://user:secret@proxy:3128')).toBe('http://***@proxy:3128');
    expect(redactProxy('http://proxy:3128/')).toBe('http://proxy:3128');
  });
});

describe('bootstrap build: apt sources, pinning and proxies', () => {
  it('adds --repo to Debian’s defaults, and a repo for the release itself replaces them', () => {
    expect(effectiveRepos({ release: 'bookworm', repos: [parseRepo('deb http://x/y extra main')] }).map((r) => r.suite)).toEqual(['bookworm', 'bookworm-updates', 'bookworm-security', 'extra']);
    expect(effectiveRepos({ release: 'bookworm', repos: [parseRepo('deb http://mirror/debian bookworm main')] }).map((r) => r.uri)).toEqual(['http://mirror/debian']);
  });

  it('writes apt preferences: by host when unique, by suite otherwise; >1000 kept as given (downgrades)', () => {
    const prefs = aptPreferences([parseRepo('deb http://deb.debian.org/debian bookworm main'), parseRepo('deb http://repo.example/k bookworm-kernel main,priority=1001'), parseRepo('deb http://deb.debian.org/debian bookworm-backports main,priority=100')]);
    expect(prefs).toContain('Package: *\nPin: origin "repo.example"\nPin-Priority: 1001\n');
    expect(prefs).toContain('Pin: release n=bookworm-backports\nPin-Priority: 100\n');
    expect(prefs.match(/Pin-Priority/g)).toHaveLength(2);
    expect(aptPreferences([parseRepo('deb http://a/b c main')])).toBe('');
  });

  it('sends repositories through the proxy except the direct ones', () => {
    const o = { httpProxy: 'http://p:3128', httpsProxy: 'http://p:3129', directRepoAddrs: ['10.0.0.5', 'local.example'] };
    expect(proxyFor('http://deb.debian.org/debian', o)).toBe('http://p:3128');
    expect(proxyFor('https://deb.debian.org/debian', o)).toBe('http://p:3129');
    expect(proxyFor('http://10.0.0.5/repo', o)).toBeUndefined();
    expect(isDirect('http://mirror.local.example/x', o.directRepoAddrs)).toBe(true);
    expect(proxyAptOptions(o)).toEqual(['Acquire::http::Proxy "http://p:3128";', 'Acquire::https::Proxy "http://p:3129";', 'Acquire::http::Proxy::10.0.0.5 "DIRECT";', 'Acquire::https::Proxy::10.0.0.5 "DIRECT";', 'Acquire::http::Proxy::local.example "DIRECT";', 'Acquire::https::Proxy::local.example "DIRECT";']);
    expect(releaseUrls(parseRepo('deb http://a/debian bookworm main'))).toEqual(['http://a/debian/dists/bookworm/InRelease', 'http://a/debian/dists/bookworm/Release']);
  });
});

describe('bootstrap build: contents and mmdebstrap', () => {
  it('installs every agent tool’s package, the kernel of the flavor, live-boot for live and ssh for keys', () => {
    expect(agentToolPackages()).toEqual(expect.arrayContaining(['gdisk', 'mdadm', 'lvm2', 'xfsprogs', 'udev', 'qemu-utils', 'xorriso']));
    expect(agentToolPackages()).not.toContain('grub2-common');
    const o = resolveBuildOptions({ format: 'live', sshKeys: 'k', package: ['firmware-bnx2x'], kernelFlavor: 'cloud-amd64' }, noEnv);
    expect(imagePackages(o)).toEqual(expect.arrayContaining(['systemd', 'linux-image-cloud-amd64', 'live-boot', 'openssh-server', 'firmware-bnx2x']));
    expect(imagePackages(resolveBuildOptions({}, noEnv))).not.toContain('live-boot');
  });

  it('builds the mmdebstrap command: minbase, proxies as apt options, hooks, the sources last', () => {
    const o = resolveBuildOptions({ httpProxy: 'http://p:3128' }, noEnv);
    const argv = mmdebstrapArgv({ options: o, repos: effectiveRepos(o), packages: ['a', 'b'], root: '/w/root', customizeScriptPath: '/w/c.sh', preferencesPath: '/w/p.pref' });
    expect(argv.slice(0, 5)).toEqual(['mmdebstrap', '--mode=root', '--variant=minbase', '--verbose', '--format=directory']);
    expect(argv).toContain('--include=a,b');
    expect(argv).toContain('--aptopt=Acquire::http::Proxy "http://p:3128";');
    expect(argv.some((a) => a.startsWith('--setup-hook=') && a.includes("'/w/p.pref'"))).toBe(true);
    expect(argv.some((a) => a.startsWith('--essential-hook=') && a.includes('dpkg-divert'))).toBe(true);
    expect(argv.slice(-5)).toEqual(['bookworm', '/w/root', 'deb http://deb.debian.org/debian bookworm main', 'deb http://deb.debian.org/debian bookworm-updates main', 'deb http://deb.debian.org/debian-security bookworm-security main']);
  });

  it('copies a signed-by keyring into the image at its path, since apt there reads the same sources line', () => {
    const o = resolveBuildOptions({ repo: ['deb [signed-by=/etc/apt/keyrings/mos.gpg] http://mirror.example/mos bookworm-mos main'] }, noEnv);
    const argv = mmdebstrapArgv({ options: o, repos: effectiveRepos(o), packages: ['a'], root: '/w/root', customizeScriptPath: '/w/c.sh' });
    expect(argv).toContain(`--setup-hook=mkdir -p "$1"'/etc/apt/keyrings' && cp '/etc/apt/keyrings/mos.gpg' "$1"'/etc/apt/keyrings/mos.gpg'`);
    expect(argv.at(-1)).toBe('deb [signed-by=/etc/apt/keyrings/mos.gpg] http://mirror.example/mos bookworm-mos main');
  });

  it('refuses a signed-by keyring missing on the build host before probing anything', async () => {
    const runner = new RecordingRunner();
    const repo = parseRepo('deb [signed-by=/nonexistent/anvil-test.gpg] http://mirror.example/mos bookworm main');
    await expect(probeRepos(runner, [repo], { directRepoAddrs: [] })).rejects.toMatchObject({ code: 'bootstrap.bad_option', message: expect.stringContaining('/nonexistent/anvil-test.gpg') });
    expect(runner.recorded).toEqual([]);
  });

  it('customizes in the spec’s order: agent, injected files, script (failure marked), trim, then the initramfs for live; no proxy left', () => {
    const s = customizeScript({ stage: '/w/stage', units: ['anvil-agent.service', 'systemd-networkd.service'], withCa: true, injectFilesFrom: '/ops/files', script: '/ops/s.sh', format: 'live' });
    const at = (t: string): number => s.indexOf(t);
    expect(at('ANVIL-STAGE agent')).toBeLessThan(at('ANVIL-STAGE inject'));
    expect(at('ANVIL-STAGE inject')).toBeLessThan(at('ANVIL-STAGE script'));
    expect(at('ANVIL-STAGE script')).toBeLessThan(at('ANVIL-STAGE trim'));
    expect(at('ANVIL-STAGE trim')).toBeLessThan(at('ANVIL-STAGE initramfs'));
    expect(s).toContain('ANVIL-SCRIPT-FAILED');
    expect(s).toContain('update-ca-certificates');
    expect(s).toContain('rm -f "$root/etc/apt/apt.conf.d/99mmdebstrap"');
    expect(s).toContain('drivers/gpu');
    expect(customizeScript({ stage: '/w', units: ['x'], withCa: false, format: 'initramfs' })).not.toContain('initramfs"');
  });

  it('runs the agent from a unit with the CA bundle for TLS when given, and wants node >= 20.11', () => {
    expect(agentUnit(true)).toContain('Environment=NODE_EXTRA_CA_CERTS=/etc/anvil/ca-bundle.pem');
    expect(agentUnit(false)).not.toContain('NODE_EXTRA_CA_CERTS');
    expect(() => checkNodeVersion('v18.19.0')).toThrow(expect.objectContaining({ code: 'bootstrap.node_unsuitable' }));
    expect(() => checkNodeVersion('v20.11.0')).not.toThrow();
    expect(() => checkNodeVersion('v22.1.0')).not.toThrow();
  });
});

describe('bootstrap build: metadata.yaml', () => {
  const digest = { sha256: 'a'.repeat(64), size: 10 };

  it('holds the container format’s fields, live’s fetch= with the placeholder, and no secrets', () => {
    const o = resolveBuildOptions({ format: 'live', label: 'lab', extendKopts: 'biosdevname=0', httpProxy: 'http://u:pw@proxy:3128', sshKeys: '/k', caCert: ['/ca.pem'] }, noEnv);
    const m = buildMetadata({
      uuid: '765556d0-8b8e-4017-89e0-a5feb4d4518e',
      options: o,
      kernelVersion: '6.1.0-41-amd64',
      agentVersion: '0.1.0',
      nodeVersion: 'v20.20.2',
      nodeSha256: 'b'.repeat(64),
      files: { linux: digest, 'initramfs.img': digest, 'root.squashfs': digest },
      recorded: recordedOptions(o, { sshKeys: 'c'.repeat(64), caCerts: ['d'.repeat(64)] }),
      builtAt: new Date('2026-12-01T00:00:00Z'),
    });
    const text = metadataYaml(m);
    const back = BootstrapMetadata.parse(parseYaml(text));
    expect(back).toMatchObject({ uuid: '765556d0-8b8e-4017-89e0-a5feb4d4518e', distro: 'debian', label: 'lab', format: 'live', release: 'bookworm', kernel_version: '6.1.0-41-amd64', node_version: 'v20.20.2', built_at: '2026-12-01T00:00:00.000Z' });
    expect(back.extend_kopts).toBe(`boot=live fetch=${BS_ROOT_PLACEHOLDER}/root.squashfs biosdevname=0`);
    expect(back.build).toMatchObject({ http_proxy: 'http://***@proxy:3128', ssh_keys_sha256: 'c'.repeat(64), kernel_flavor: 'amd64' });
    expect(text).not.toContain('pw@');
    expect(imageKopts({ format: 'initramfs', extendKopts: '' })).toBe('');
  });
});

describe('bootstrap build: progress', () => {
  it('writes JSON lines off a terminal: stages from the markers, packages counted', () => {
    const out: string[] = [];
    const p = new BuildProgress({ write: (t) => void out.push(t) });
    p.setStage('mmdebstrap');
    for (let i = 0; i < 30; i++) p.onBuildLine(`Setting up pkg${i} (1.0) ...`);
    p.onBuildLine('ANVIL-STAGE trim');
    const events = out.map((l) => JSON.parse(l) as { stage: string; packages: number });
    expect(events.map((e) => e.stage)).toEqual(['mmdebstrap', 'mmdebstrap', 'trim']);
    expect(events.at(-1)!.packages).toBe(30);
  });
});

describe('agent: anvil.advertise_port', () => {
  it('advertises a port other than the one it listens on (a NAT in front)', () => {
    const c = loadAgentConfig({ cmdline: 'c' }, () => 'ipa-api-url=http://10.0.2.100:6385 anvil.advertise_host=127.0.0.1 anvil.advertise_port=40123');
    expect(c).toMatchObject({ advertiseHost: '127.0.0.1', advertisePort: 40123, listenPort: 9999 });
  });
});

describe('the agent’s V8 flags', () => {
  it('are the same in the image’s wrappers and in the bins’ shebangs', () => {
    for (const bin of ['anvil.cjs', 'anvil-agent.cjs']) {
      const shebang = readFileSync(join(__dirname, '../../../../agent/bin', bin), 'utf8').split('\n')[0]!;
      expect(shebang).toBe(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
    }
  });
});
