/**
 * Jest runs the unit tests in `test/*.spec.ts` against the pure modules of `src/`
 * (those that import nothing from @jupyterlab at run time, so no ESM transform is needed).
 */
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        // The build's tsconfig emits ES modules for webpack; jest needs CommonJS.
        tsconfig: {
          module: 'commonjs',
          target: 'ES2018',
          lib: ['DOM', 'ES2019'],
          rootDir: '.',
          resolveJsonModule: true,
          strict: true,
          esModuleInterop: true,
          types: ['jest', 'node']
        }
      }
    ]
  }
};
