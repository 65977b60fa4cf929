// The VM suite's hooks build the test ramdisk and OS image (once per run, cached by input hash) and then run a
// deploy VM and a boot VM, each with its own timeout waiting for its markers; the hook's limit covers them all.
jest.setTimeout(Number(process.env.ANVIL_TEST_TIMEOUT_MS ?? 1_800_000));
