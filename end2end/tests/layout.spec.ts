import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { expect, hydrated, signIn, test } from './helpers';

// Every page reachable from the navigation, for a partner and a manager: no axe violations
// at 390 and 1366 px, and never wider than the screen at 360, 390, 1280 and 1366 px.

const AXE_WIDTHS = [390, 1366];
const FIT_WIDTHS = [360, 390, 1280, 1366];

async function navigationTargets(page: Page): Promise<string[]> {
  const hrefs = await page.locator('nav[aria-label="Main"] a').evaluateAll(
    (links) => links.map((link) => (link as HTMLAnchorElement).getAttribute('href') ?? ''),
  );
  return [...new Set(hrefs.filter((href) => href.startsWith('/')))];
}

async function widerThanScreen(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

for (const who of ['nora@northwind.example', 'marco@lumen.example']) {
  test(`every page in the navigation fits and passes axe (${who})`, async ({ page, isMobile }) => {
    test.skip(isMobile, 'the widths are set by the test itself');
    test.setTimeout(240_000);
    await signIn(page, who);
    await expect(page).toHaveURL('/');
    const targets = await navigationTargets(page);
    expect(targets.length).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const target of targets) {
      for (const width of FIT_WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(target);
        await hydrated(page);
        const overflow = await widerThanScreen(page);
        if (overflow > 0) problems.push(`${target} at ${width} px is ${overflow} px wider than the screen`);
        if (AXE_WIDTHS.includes(width)) {
          const result = await new AxeBuilder({ page }).analyze();
          for (const violation of result.violations) {
            const where = violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(' | ');
            problems.push(`${target} at ${width} px: ${violation.id} (${violation.impact}) ${where}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
}
