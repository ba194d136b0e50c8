/**
 * Playwright configuration for the jupyterlab-repro UI tests (Galata).
 *
 * The server is `jlpm start` (jupyter lab with jupyter_server_test_config.py)
 * on 127.0.0.1, port REPRO_UI_PORT (`make ui-test` picks a free one; 8888
 * without it); the browser is the system Chromium, never a download.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = require('./chromium');

const port = process.env.REPRO_UI_PORT || '8888';

module.exports = {
  ...baseConfig,
  reporter: [['list']],
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    // Video needs a downloaded ffmpeg; traces do not.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: chromium
  },
  webServer: {
    command: 'jlpm start',
    url: `http://127.0.0.1:${port}/lab`,
    timeout: 120000,
    reuseExistingServer: !process.env.CI
  }
};
