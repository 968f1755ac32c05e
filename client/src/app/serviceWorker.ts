/**
 * Registers /sw.js (client/public/sw.js) in production builds, so the app shell is kept
 * for offline use. The dev server skips it: a cached shell would hide code changes.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const register = () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // Not fatal: the app works online without it (e.g. plain http on a LAN address).
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
