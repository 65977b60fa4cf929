// The e2e suites' hooks find the images (built once per run by scripts/e2e-prebuild.ts, cached by input hash) and
// then boot VMs, each with its own timeout waiting for its markers or its power-off; the hook's limit covers them all.
jest.setTimeout(Number(process.env.ANVIL_TEST_TIMEOUT_MS ?? 1_800_000));
