import { type Html, html, type HtmlValue } from '../html.ts';
import type { AdminContext } from './session.ts';

/** The dashboard's page shell: one stylesheet, no script, a navigation bar and the sign-out form. */

const NAV: Array<{ href: string; label: string; key: string }> = [
  { href: '/admin/roster', label: 'Danh sách đơn vị', key: 'roster' },
  { href: '/admin/charts', label: 'Biểu đồ', key: 'charts' },
  { href: '/admin/exports', label: 'Tải dữ liệu', key: 'exports' },
  { href: '/admin/broadcast', label: 'Gửi thông báo', key: 'broadcast' },
];

export function roleLabel(ctx: AdminContext): string {
  return ctx.account.role === 'province' ? 'Văn phòng thường trực cấp tỉnh' : `Cán bộ cấp xã — ${ctx.communeName ?? ''}`;
}

export function page(p: { title: string; ctx?: AdminContext; active?: string; body: HtmlValue }): Html {
  return html`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} — Xã hội học tập</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/admin.css">
</head>
<body>
<header class="top">
<a class="brand" href="/admin/roster">Xã hội học tập · Quản trị</a>
${
  p.ctx
    ? html`<nav>${NAV.map((n) => html`<a href="${n.href}"${n.key === p.active ? html` aria-current="page"` : ''}>${n.label}</a>`)}</nav>
<form method="post" action="/admin/logout" class="who">
<span>${p.ctx.account.email} · ${roleLabel(p.ctx)}</span>
${csrfField(p.ctx)}
<button type="submit" class="link">Đăng xuất</button>
</form>`
    : ''
}
</header>
<main>
<h1>${p.title}</h1>
${p.body}
</main>
</body>
</html>`;
}

export const csrfField = (ctx: AdminContext): Html => html`<input type="hidden" name="csrf" value="${ctx.csrfToken}">`;

export function messagePage(p: { title: string; text: string; ctx?: AdminContext }): Html {
  return page({ title: p.title, ...(p.ctx ? { ctx: p.ctx } : {}), body: html`<p>${p.text}</p><p><a href="/admin/roster">Về danh sách đơn vị</a></p>` });
}

/** "25/11/2026 08:30" in Vietnam time, or a dash. */
export function formatVn(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const d = new Date(t + 7 * 3600 * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

export function options<T extends string>(items: Array<{ value: T; label: string }>, selected: string | null | undefined): Html {
  return html`${items.map((i) => html`<option value="${i.value}"${i.value === selected ? html` selected` : ''}>${i.label}</option>`)}`;
}
