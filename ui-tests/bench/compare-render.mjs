// How long the compare view takes to draw its charts once the comparison
// reply has arrived, in Chromium (`make bench`, section "compare").
//
//   node ui-tests/bench/compare-render.mjs LAB_URL COMPARE_JSON REPS
//
// LAB_URL is the lab of a running server with its token
// (http://127.0.0.1:PORT/lab?token=…), COMPARE_JSON the comparison to open
// ({"runIds": [...], "path": "...", "metrics": [...]}, as the
// `jupyterlab-repro:compare` command takes it). Each repetition opens the
// comparison from its URL in a workspace of its own (nothing restored) and
// reads the view's `data-repro-render-ms`: milliseconds from the reply to
// the charts drawn (ECharts' "finished"). Prints one JSON line:
// {"render_ms": [...], "canvases": N}.
import { chromium } from '@playwright/test';

import browserOptions from '../chromium.js';

const [labUrl, compareJson, repsText] = process.argv.slice(2);
if (!labUrl || !compareJson) {
  console.error('usage: compare-render.mjs LAB_URL COMPARE_JSON [REPS]');
  process.exit(2);
}
const reps = Math.max(1, Number(repsText ?? 5));

const browser = await chromium.launch(browserOptions);
const renderMs = [];
let canvases = 0;
try {
  const context = await browser.newContext({
    viewport: { width: 1600, height: 1000 }
  });
  for (let i = 0; i < reps; i++) {
    const page = await context.newPage();
    const url = new URL(labUrl);
    url.pathname = url.pathname.replace(
      /\/lab\/?$/,
      `/lab/workspaces/repro-bench-${Date.now()}-${i}`
    );
    url.searchParams.set('repro-compare', compareJson);
    await page.goto(url.toString());
    const view = page.locator('.jp-Repro-CompareWidget[data-repro-render-ms]');
    await view.waitFor({ state: 'attached', timeout: 120000 });
    renderMs.push(Number(await view.getAttribute('data-repro-render-ms')));
    canvases = Math.max(
      canvases,
      await page
        .locator('.jp-Repro-CompareWidget .jp-Repro-Compare-chart canvas')
        .count()
    );
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ render_ms: renderMs, canvases }));
