import { expect, hydrated, navLink, signIn, test } from './helpers';

// A manager checks how partners stand on required training, from the navigation.

test('a manager sees how each required path stands', async ({ page }) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await hydrated(page);
  await (await navLink(page, 'Required training')).click();
  await expect(page).toHaveURL('/training-status');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Required training');
  await expect(page.locator('.lead')).toContainText('days from assignment');
  const support = page.locator('.compliance-card', { hasText: 'Support Readiness' });
  await expect(support.locator('.receipts')).toHaveText(/^\d+ of \d+ done · \d+ recertifying · \d+ not due yet · \d+ overdue$/);
});
