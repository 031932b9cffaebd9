/*
 * Inside another site's iframe, a browser that blocks third-party cookies also denies the page its
 * storage: reading `localStorage` throws ("Access is denied for this document"; Chromium with third-party
 * cookies blocked, as in incognito windows). Where storage is allowed, Chromium partitions it by the top
 * site, which is fine. Where it is denied, the page keeps what it would have stored in memory instead:
 * the visit works, and a reload starts over (the visitor checks in again; the professional needs a new
 * link). Imported first by each app, before any module reads storage.
 */
function usable(): boolean {
  try {
    window.localStorage.getItem('consult.probe');
    return true;
  } catch {
    return false;
  }
}

if (!usable()) {
  const items = new Map<string, string>();
  const memory: Storage = {
    get length() {
      return items.size;
    },
    key: (i) => [...items.keys()][i] ?? null,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, String(v)),
    removeItem: (k) => void items.delete(k),
    clear: () => items.clear(),
  };
  Object.defineProperty(window, 'localStorage', { value: memory, configurable: true });
}
