/**
 * Playwright configuration for the jupyterlab-repro UI tests (Galata).
 *
 * Two labs, one project each, in one run (`make ui-test`):
 *
 * - `lab`: the wheel alone, in the venv REPRO_UI_VENV, on port REPRO_UI_PORT
 *   (8888 without it); every spec but the ones tagged @coexist;
 * - `lab+git`: the same wheel beside jupyterlab-git and nbdime, in the venv
 *   REPRO_UI_GIT_VENV, on port REPRO_UI_GIT_PORT; the @coexist spec and the
 *   sidebar and snapshot specs. Left out when REPRO_UI_GIT_VENV is not set.
 *
 * Each lab is `jlpm start` (jupyter lab with jupyter_server_test_config.py)
 * on 127.0.0.1 with a temporary root of its own. Specs are independent (each
 * test works in its own folder or only reads `demo/`), so REPRO_UI_WORKERS
 * browsers run them at once. The browser is the system Chromium, never a
 * download.
 */
const path = require('path');

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = require('./chromium');

/** The specs that also run beside jupyterlab-git. */
const WITH_GIT = ['coexist.spec.ts', 'sidebar.spec.ts', 'snapshot.spec.ts'];

/** A lab from the venv at `venv` (or from PATH), on `port`. */
function lab(name, venv, port) {
  const env = { ...process.env, REPRO_UI_PORT: port };
  if (venv) {
    env.PATH = `${path.join(venv, 'bin')}${path.delimiter}${process.env.PATH}`;
  }
  return {
    project: {
      name,
      use: { baseURL: `http://127.0.0.1:${port}` }
    },
    server: {
      command: 'jlpm start',
      env,
      url: `http://127.0.0.1:${port}/lab`,
      timeout: 120000,
      reuseExistingServer: !process.env.CI
    }
  };
}

const plain = lab(
  'lab',
  process.env.REPRO_UI_VENV,
  process.env.REPRO_UI_PORT || '8888'
);
plain.project.grepInvert = /@coexist/;
const labs = [plain];

if (process.env.REPRO_UI_GIT_VENV) {
  const withGit = lab(
    'lab+git',
    process.env.REPRO_UI_GIT_VENV,
    process.env.REPRO_UI_GIT_PORT || '8889'
  );
  withGit.project.testMatch = WITH_GIT;
  labs.push(withGit);
}

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  retries: process.env.CI ? 1 : 0,
  workers: Number(process.env.REPRO_UI_WORKERS || 1),
  use: {
    ...baseConfig.use,
    viewport: { width: 1280, height: 800 },
    // Video needs a downloaded ffmpeg; traces do not.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: chromium
  },
  projects: labs.map(({ project }) => project),
  webServer: labs.map(({ server }) => server)
};
