import { defineConfig } from 'vitest/config';

// Two projects: `unit` (tests beside the code, no stack) and `stack` (test/, sharing one real
// native stack per run, booted by test/global-setup.ts through the same code `pizza-lab up` uses).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['cli/**/*.test.{ts,tsx}', 'services/**/*.test.ts', 'scenarios/**/*.test.ts'],
          // The views are rendered as on a terminal, where the CLI never lets Ink see a CI
          // variable (cli/ui/load.ts): under CI Ink would hold every frame back until exit.
          env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
        },
      },
      {
        extends: true,
        test: {
          name: 'stack',
          include: ['test/**/*.test.{ts,tsx}'],
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
