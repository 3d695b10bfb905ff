import { expect, hydrated, navLink, signIn, test } from './helpers';

test('the phone menu opens and closes, before any script and after', async ({ page, isMobile }) => {
  test.skip(!isMobile, 'the menu button exists only on narrow screens');
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  const toggle = page.locator('details.menu > summary');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(toggle).toHaveText('Menu', { useInnerText: true });
  await expect(nav).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveText('Close', { useInnerText: true });
  await expect(nav).toBeVisible();
  await toggle.click();
  await expect(nav).toBeHidden();
  await (await navLink(page, 'My organisation')).click();
  await expect(page).toHaveURL('/my-org');
  await expect(nav).toBeHidden();
});

test('pages fit a 360 px screen without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ['/login']) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  }
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/partners');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
