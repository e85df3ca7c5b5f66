import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots land here (gitignored); the README's are copied to docs/. */
export const SHOTS = join(process.cwd(), 'test-output', 'ui');

/** Skip reason when Chromium is missing; under CI=true a missing Chromium is an error, never a skip. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required under CI=true (Debian package chromium; .ci/run installs it)`);
  return `skipped: ${CHROMIUM} not installed (apt-get install chromium)`;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile and no background traffic. */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(SHOTS, { recursive: true });
  return {
    context, page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const CONTROL_ROLES = new Set(['button', 'link', 'textbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton', 'slider', 'switch', 'searchbox', 'menuitem', 'tab', 'progressbar']);

/**
 * Every control in the page's accessibility tree (Chromium's own, over CDP) has
 * a name a screen reader can say. Returns the unnamed ones (role + DOM id).
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; backendDOMNodeId?: number }[] };
    return nodes
      .filter((n) => !n.ignored && CONTROL_ROLES.has(n.role?.value ?? '') && !(n.name?.value ?? '').trim())
      .map((n) => `${n.role!.value} (node ${n.backendDOMNodeId})`);
  } finally {
    await cdp.detach();
  }
}

/** Controls (from playwright's ARIA snapshot) and their names, e.g. `button "Sign out"`. */
export async function ariaControls(page: Page): Promise<string[]> {
  const yaml = await page.locator('body').ariaSnapshot();
  return yaml.split('\n').map((l) => l.trim().replace(/^- /, '')).filter((l) => /^(button|link|textbox|combobox|spinbutton|checkbox|progressbar)\b/.test(l));
}
