/**
 * The browser every Playwright run here uses: Debian's Chromium (never a
 * download), headless, with nothing reaching out on its own. Shared by
 * playwright.config.js and the bench's bench/compare-render.mjs.
 */
module.exports = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync'
  ]
};
