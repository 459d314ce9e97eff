/**
 * Query parameters that say how a link was shared, not what it points at: analytics
 * tags, share buttons and app referrers. The same post shared twice differs only in these.
 */
const TRACKING_PARAMS = [
  /^utm_/,
  /^spm$/,
  /^share_/,
  /^from$/,
  /^wfr$/,
  /^isappinstalled$/,
  /^scene$/,
  /^sharer_/,
  /^sourcetype$/,
  /^src$/,
  /^timestamp$/,
  /^t$/,
  /^s_trans$/,
  /^s_channel$/,
  /^weibo_id$/,
  /^vd_source$/,
  /^_wv$/,
  /^fbclid$/,
  /^gclid$/,
];

/** Host prefixes of the same site for phones or in another spelling. */
const HOST_PREFIXES = /^(www|m|mobile|wap|h5)\./;

/**
 * One spelling per link, so the same post reported twice is recognised: scheme and
 * host lower-cased, `www.`/`m.`/`mobile.` dropped, default port, fragment and
 * tracking parameters removed, the rest sorted, a trailing slash dropped.
 * `https://M.Weibo.cn/123/Nabc?from=timeline#comments` → `weibo.cn/123/Nabc`.
 * The scheme is left out: http and https of one address are one post.
 */
export function normaliseSourceUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return raw.trim().toLowerCase();
  }
  const host = url.hostname.toLowerCase().replace(HOST_PREFIXES, '');
  const port = url.port && url.port !== (url.protocol === 'https:' ? '443' : '80') ? `:${url.port}` : '';
  const params = [...url.searchParams.entries()]
    .filter(([k]) => !TRACKING_PARAMS.some((p) => p.test(k.toLowerCase())))
    .sort(([a, av], [b, bv]) => (a === b ? av.localeCompare(bv) : a.localeCompare(b)));
  const query = params.length ? `?${new URLSearchParams(params).toString()}` : '';
  const path = url.pathname.replace(/\/+$/, '');
  return `${host}${port}${path}${query}`;
}
