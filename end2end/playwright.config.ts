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
// The integration tests' fake HubSpot, as a process (built with the server's tests).
const fakeHubspotPort = Number(process.env.E2E_FAKE_HUBSPOT_PORT ?? 3101);
const fakeHubspot = process.env.FAKE_HUBSPOT_BIN ?? '../target/debug/examples/fake_hubspot';
// And its fake Salesforce org (My Domain and instance at the same address).
const fakeSalesforcePort = Number(process.env.E2E_FAKE_SALESFORCE_PORT ?? 3102);
const fakeSalesforce = process.env.FAKE_SALESFORCE_BIN ?? '../target/debug/examples/fake_salesforce';

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
  webServer: [
    {
      command: `exec ${fakeHubspot} 127.0.0.1:${fakeHubspotPort} pat-e2e-token e2e-client-id e2e-client-secret http://127.0.0.1:${port}/crm/hubspot/authorised`,
      url: `http://127.0.0.1:${fakeHubspotPort}/__fake/records/contacts`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `exec ${fakeSalesforce} 127.0.0.1:${fakeSalesforcePort} 3MVG9e2e.consumer.key e2e-consumer-secret`,
      url: `http://127.0.0.1:${fakeSalesforcePort}/__fake/records/Contact`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // A fresh SQLite database with demo data for every run; CRM sync runs every second.
      command: `rm -rf ${work} && mkdir -p ${work} && exec ${binary} --database-url sqlite:${work}/portal.db --data-dir ${work} --site-root ../target/site --bind 127.0.0.1:${port} --hubspot-api-base http://127.0.0.1:${fakeHubspotPort} --hubspot-authorize-url http://127.0.0.1:${fakeHubspotPort}/oauth/authorize --crm-sync-interval-secs 1 --demo-history false --reply-domain reply.test --inbound-mail-token e2e-relay-token-0123456789`,
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
