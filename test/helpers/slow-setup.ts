// Integration and e2e tests drive real tools and devices; their hooks take longer than jest's 5 s default.
jest.setTimeout(Number(process.env.ANVIL_TEST_TIMEOUT_MS ?? 600_000));
