import { defineConfig, devices } from '@playwright/test';

// Debian's Chromium; Playwright never downloads a browser here.
const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const port = Number(process.env.E2E_PORT ?? 3100);
const binary = process.env.PORTAL_BIN ?? '../target/debug/partner-portal';
const work = '../target/e2e';

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: chromium,
    trace: 'off',
  },
  projects: [
    { name: 'desktop', use: { ...devices['Desktop Chrome'], launchOptions: chromium }, testIgnore: /no-js/ },
    { name: 'phone', use: { ...devices['Pixel 7'], launchOptions: chromium }, testIgnore: /no-js/ },
    { name: 'no-js', use: { ...devices['Desktop Chrome'], launchOptions: chromium, javaScriptEnabled: false }, testMatch: /no-js/ },
  ],
  webServer: {
    // A fresh SQLite database with demo data for every run.
    command: `rm -rf ${work} && mkdir -p ${work} && exec ${binary} --database-url sqlite:${work}/portal.db --data-dir ${work} --site-root ../target/site --bind 127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
