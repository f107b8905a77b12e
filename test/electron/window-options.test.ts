import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, isAppUrl, isExternalLink, mainWindowOptions } from '../../main/electron/window-options';

describe('the main window', () => {
  it('is isolated and sandboxed, with no Node in the page and only our preload', () => {
    const o = mainWindowOptions('/app/dist/electron/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('has a strict Content-Security-Policy: own scripts only, no remote content, no plugins', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('allows navigation only inside the app build; links go to the system browser only for http(s)', () => {
    expect(isAppUrl('file:///app/dist/renderer/index.html', '/app/dist/renderer')).toBe(true);
    expect(isAppUrl('file:///etc/passwd', '/app/dist/renderer')).toBe(false);
    expect(isAppUrl('https://evil.example/', '/app/dist/renderer')).toBe(false);
    expect(isExternalLink('https://docs.ltx.video')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
  });
});
