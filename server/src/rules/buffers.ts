// nginx's consistency rules for proxy/fastcgi/uwsgi/scgi buffers, as in
// ngx_http_proxy_merge_loc_conf(): checked for every block after inheritance, and nginx -t
// fails when they do not hold. Shared by buffers-inconsistent and header-buffer-small, whose
// fix must keep them.

import { effective, own, parseSize, type Scope, type ScopedDirective } from '../site/scope';
import { insertInBlock, replaceArgs } from './edits';
import type { FileEdit, RuleContext } from './rule';

export const PREFIXES = ['proxy', 'fastcgi', 'uwsgi', 'scgi'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** The platform page size nginx uses for its defaults (x86-64, arm64 with 4k pages). */
const PAGE = 4096;

export interface BufferValues {
  bufferSize: number;
  num: number;
  size: number;
  busy?: number;
  tempWrite?: number;
  maxTemp?: number;
  /** Where each value comes from (undefined: nginx's default). */
  from: Partial<Record<'buffer_size' | 'buffers' | 'busy_buffers_size' | 'temp_file_write_size' | 'max_temp_file_size', ScopedDirective>>;
}

export function bufferValues(scope: Scope, p: Prefix): BufferValues | undefined {
  const get = (n: string): ScopedDirective | undefined => effective(scope, `${p}_${n}`).at(-1);
  const bs = get('buffer_size');
  const bufs = get('buffers');
  const busy = get('busy_buffers_size');
  const tw = get('temp_file_write_size');
  const mt = get('max_temp_file_size');
  const size = (sd: ScopedDirective | undefined, i = 0): number | undefined => (sd ? parseSize(sd.d.args[i]?.value ?? '') : undefined);
  const v: BufferValues = {
    bufferSize: size(bs) ?? PAGE,
    num: bufs ? Number(bufs.d.args[0]?.value) : 8,
    size: bufs ? (size(bufs, 1) ?? PAGE) : PAGE,
    busy: size(busy),
    tempWrite: size(tw),
    maxTemp: size(mt),
    from: { buffer_size: bs, buffers: bufs, busy_buffers_size: busy, temp_file_write_size: tw, max_temp_file_size: mt },
  };
  if (!Number.isFinite(v.num) || (bs && size(bs) === undefined) || (bufs && size(bufs, 1) === undefined)) return undefined;
  return v;
}

/** nginx -t's complaints for these values, in nginx's words. */
export function bufferErrors(v: BufferValues, p: Prefix): { key: keyof BufferValues['from']; message: string }[] {
  const out: { key: keyof BufferValues['from']; message: string }[] = [];
  if (v.num < 2) out.push({ key: 'buffers', message: `there must be at least 2 "${p}_buffers"` });
  const size = Math.max(v.bufferSize, v.size);
  const busy = v.busy ?? 2 * size;
  const setBusy = v.busy !== undefined;
  if (busy < size) out.push({ key: 'busy_buffers_size', message: `"${p}_busy_buffers_size" must be equal to or greater than the maximum of the value of "${p}_buffer_size" and one of the "${p}_buffers"` });
  if (busy > (v.num - 1) * v.size)
    out.push({ key: setBusy ? 'busy_buffers_size' : v.from.buffer_size ? 'buffer_size' : 'buffers', message: `"${p}_busy_buffers_size" must be less than the size of all "${p}_buffers" minus one buffer` });
  const tw = v.tempWrite ?? 2 * size;
  if (tw < size) out.push({ key: 'temp_file_write_size', message: `"${p}_temp_file_write_size" must be equal to or greater than the maximum of the value of "${p}_buffer_size" and one of the "${p}_buffers"` });
  const mt = v.maxTemp ?? 1024 * 1048576;
  if (mt !== 0 && mt < size) out.push({ key: 'max_temp_file_size', message: `"${p}_max_temp_file_size" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of "${p}_buffer_size" and one of the "${p}_buffers"` });
  return out;
}

function fmt(bytes: number): string {
  return bytes % 1048576 === 0 ? `${bytes / 1048576}m` : bytes % 1024 === 0 ? `${bytes / 1024}k` : String(bytes);
}

/**
 * Edits that make the values consistent (optionally after raising buffer_size), changing as
 * little as possible: raise busy/temp sizes that are too small, then add buffers.
 */
export function consistentEdits(ctx: RuleContext, scope: Scope, p: Prefix, v: BufferValues, newBufferSize?: number): FileEdit[] {
  const edits: FileEdit[] = [];
  const set = (name: keyof BufferValues['from'], value: string): void => {
    const sd = v.from[name];
    // Change it where it is set when that is this block; otherwise set it in this block.
    if (sd && sd.parent === scope) edits.push(replaceArgs(sd, value));
    else {
      const e = insertInBlock(ctx, scope, `${p}_${name} ${value};`);
      if (e) edits.push(e);
    }
  };
  const bufferSize = newBufferSize ?? v.bufferSize;
  if (newBufferSize !== undefined) set('buffer_size', fmt(newBufferSize));
  const size = Math.max(bufferSize, v.size);
  let busy = v.busy;
  if (busy !== undefined && busy < size) {
    busy = size;
    set('busy_buffers_size', fmt(busy));
  }
  const need = busy ?? 2 * size;
  if (v.num < 2 || need > (v.num - 1) * v.size) {
    const num = Math.max(2, Math.ceil(need / v.size) + 1);
    set('buffers', `${num} ${fmt(v.size)}`);
  }
  if (v.tempWrite !== undefined && v.tempWrite < size) set('temp_file_write_size', fmt(size));
  if (v.maxTemp !== undefined && v.maxTemp !== 0 && v.maxTemp < size) set('max_temp_file_size', fmt(size));
  return edits;
}

/** Scopes that set any buffer directive of this prefix themselves. */
export function setsBuffers(scope: Scope, p: Prefix): boolean {
  return ['buffer_size', 'buffers', 'busy_buffers_size', 'temp_file_write_size', 'max_temp_file_size'].some((n) => own(scope, `${p}_${n}`).length > 0);
}
