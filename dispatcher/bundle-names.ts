/**
 * What names a stored bundle: its id (`<32 hex>_<file name>`, Flink-compatible), the file names
 * accepted at upload and how they are made safe, and the sidecar `<id>.json` that marks a bundle
 * stored (locally, or on S3 with HA storage). Separate from the store so that its local directory
 * and the S3 copy read and check ids and sidecars the same way.
 */
import { join } from 'node:path';
import type { ArchiveFormat } from './archive.js';
import type { RemoteBundles } from './bundle-remote.js';
import type { StoredBundle } from './bundle-store.js';

export const BUNDLE_ID_PATTERN = /^[0-9a-f]{32}_[A-Za-z0-9._-]+$/;
export const ACCEPTED_EXTENSIONS = ['.js', '.mjs', '.zip', '.jar', '.tgz', '.tar.gz'] as const;

const MAX_NAME_LENGTH = 200;

export interface Sidecar {
  name: string;
  uploaded: number;
  size: number;
  kind: 'module' | 'archive';
  entry: string | null;
}

/** The bundle kind and archive format for a file name, or undefined when its extension is not accepted. */
export function classifyBundleName(name: string): { kind: 'module' | 'archive'; format?: ArchiveFormat; ext: string } | undefined {
  const lower = name.toLowerCase();
  const ext = ACCEPTED_EXTENSIONS.find((e) => lower.endsWith(e));
  if (!ext) return undefined;
  if (ext === '.js' || ext === '.mjs') return { kind: 'module', ext };
  return { kind: 'archive', format: ext === '.zip' || ext === '.jar' ? 'zip' : 'tgz', ext };
}

/** Keeps `[A-Za-z0-9._-]` of the base name, replacing anything else by `_`; long names keep their extension. */
export function sanitizeBundleName(baseName: string, ext: string): string {
  let safe = baseName.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe.length > MAX_NAME_LENGTH) safe = safe.slice(0, MAX_NAME_LENGTH - ext.length) + safe.slice(safe.length - ext.length);
  return safe;
}

export function isSidecar(v: unknown): v is Sidecar {
  const s = v as Sidecar;
  return (
    typeof s === 'object' && s !== null && typeof s.name === 'string' && typeof s.uploaded === 'number' &&
    typeof s.size === 'number' && (s.kind === 'module' || s.kind === 'archive') && (s.entry === null || typeof s.entry === 'string')
  );
}

/** The bundle `id` whose sidecar is `s`, with its paths in the store's directory `dir` (and its S3 location with `remote`). */
export function toStoredBundle(dir: string, id: string, s: Sidecar, remote: RemoteBundles | undefined): StoredBundle {
  const file = join(dir, id);
  return {
    id,
    name: s.name,
    uploaded: s.uploaded,
    size: s.size,
    kind: s.kind,
    bundlePath: s.kind === 'archive' ? `${file}.d` : file,
    entry: s.entry ?? undefined,
    ...(remote ? { location: remote.location(id) } : {}),
  };
}
