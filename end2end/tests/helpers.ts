import { test as base, expect, Page } from '@playwright/test';

/**
 * Every test fails if the page panics or throws (a hydration mismatch panics in the wasm),
 * even when the visible assertions happen to pass.
 */
export const test = base.extend<{ failOnPageErrors: void }>({
  failOnPageErrors: [async ({ page }, use) => {
    const problems: string[] = [];
    page.on('pageerror', error => problems.push(`page error: ${error.message}`));
    page.on('console', message => {
      if (message.type() === 'error' && /panicked|hydration/i.test(message.text())) problems.push(message.text());
    });
    await use();
    expect(problems, 'errors in the browser console').toEqual([]);
  }, { auto: true }],
});
export { expect };

export const PASSWORD = 'partner-demo-2026';

/** Waits until the WebAssembly app has taken over the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens the navigation menu when it is collapsed (phones). */
export async function openMenu(page: Page) {
  const toggle = page.getByRole('button', { name: /Menu|Close/ });
  if (await toggle.isVisible()) {
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  }
}
