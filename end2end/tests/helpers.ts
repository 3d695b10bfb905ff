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

/** Opens the navigation menu when it is collapsed (phones): a `<details>`, no script needed. */
export async function openMenu(page: Page) {
  const toggle = page.locator('details.menu > summary');
  if (await toggle.isVisible()) {
    const open = await page.locator('details.menu').evaluate((menu) => (menu as HTMLDetailsElement).open);
    if (!open) await toggle.click();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  }
}

/** The main navigation's link `name`, made visible: the menu and its group are opened. */
export async function navLink(page: Page, name: string) {
  await openMenu(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  // A link's text may end with its badge's count ("Announcements2 to acknowledge").
  const exactly = new RegExp(`^${name}(\\d.*)?$`);
  const link = nav.locator('a').filter({ hasText: exactly });
  if (!(await link.isVisible())) {
    const group = nav.locator('.nav-group').filter({ has: page.locator('a').filter({ hasText: exactly }) });
    await group.locator('summary').click();
  }
  await expect(link).toBeVisible();
  return link;
}

/** Holds back every wasm download until the returned function is called. */
export async function holdWasm(page: Page): Promise<() => void> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/pkg/*.wasm', async (route) => { await held; await route.continue(); });
  return release;
}
