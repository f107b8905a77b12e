/**
 * Where the render farm's media travels: start images go out, finished clips come back, never
 * inside Temporal payloads. Two kinds, chosen by LTX_FARM_STORAGE:
 *  - a shared folder both sides mount (a NAS path; the render-farm convention): inputs are copied
 *    to `inputs/<sha256>.<ext>`, each worker writes `results/<workflow id>.mp4` (renamed into place),
 *    and workers name files relative to their own `--storage` mount, so the mount points may differ;
 *  - an S3-compatible bucket (`s3://bucket/prefix`): the desktop uploads inputs with its own
 *    credentials (the AWS SDK's usual chain: AWS_ACCESS_KEY_ID..., never stored by LTX Batch) and
 *    hands workers presigned URLs (GET for inputs, PUT for the clip; 7 days, SigV4's longest), so
 *    workers need no cloud credentials. LTX_FARM_S3_ENDPOINT names a non-AWS endpoint (path-style).
 * Results stay in storage after the desktop has copied them into clips/ (they were paid for in GPU time).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';

/** How a worker reaches one file (farm_workflow.py's REF). */
export type StorageRef = { kind: 'folder'; path: string } | { kind: 'url'; url: string; ext?: string };

/** Storage the desktop and the workers share. */
export interface FarmStorage {
  /** For messages: the folder or s3:// URL. */
  readonly label: string;
  /** Puts an input file where workers can read it; returns how they find it. */
  putInput(localPath: string, signal?: AbortSignal): Promise<StorageRef>;
  /** Where the worker writes the clip of workflow `id`. */
  outputRef(id: string): Promise<StorageRef>;
  /** Copies the clip of workflow `id` to `dest`. Throws when it is not there. */
  fetchResult(id: string, dest: string, signal?: AbortSignal): Promise<void>;
}

/** A workflow id as a file name: every character outside [A-Za-z0-9._-] becomes '_'. */
export function resultName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.mp4`;
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(fs.createReadStream(file), h);
  return h.digest('hex');
}

/** A folder both the desktop and the workers mount. */
export class FolderStorage implements FarmStorage {
  constructor(readonly root: string) {}

  get label(): string {
    return this.root;
  }

  async putInput(localPath: string): Promise<StorageRef> {
    const rel = path.posix.join('inputs', `${await sha256Of(localPath)}${path.extname(localPath).toLowerCase()}`);
    const dest = path.join(this.root, rel);
    if (!fs.existsSync(dest)) {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const part = `${dest}.${process.pid}.part`;
      await fs.promises.copyFile(localPath, part);
      await fs.promises.rename(part, dest);
    }
    return { kind: 'folder', path: rel };
  }

  async outputRef(id: string): Promise<StorageRef> {
    return { kind: 'folder', path: path.posix.join('results', resultName(id)) };
  }

  async fetchResult(id: string, dest: string): Promise<void> {
    await fs.promises.copyFile(path.join(this.root, 'results', resultName(id)), dest);
  }
}

/** Presigned URLs last 7 days (SigV4's longest); a take waiting longer for a worker gets fresh ones on resubmit. */
const PRESIGN_S = 7 * 24 * 3600;

/** The AWS SDK, loaded the first time S3 storage is used (it is large, and warns on Node 20 when loaded). */
const awsSdk = async () => ({ ...(await import('@aws-sdk/client-s3')), ...(await import('@aws-sdk/s3-request-presigner')) });

/** An S3-compatible bucket: `s3://bucket[/prefix]`. */
export class S3Storage implements FarmStorage {
  private client: Promise<S3Client> | null = null;
  readonly bucket: string;
  readonly prefix: string;

  constructor(
    readonly url: string,
    private readonly opts: { endpoint?: string; region?: string } = {},
  ) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
    if (!m) throw new Error(`LTX_FARM_STORAGE ${url} is not s3://bucket[/prefix]`);
    this.bucket = m[1];
    this.prefix = m[2].replace(/\/+$/, '');
  }

  private get s3(): Promise<S3Client> {
    const o = this.opts;
    this.client ??= awsSdk().then(({ S3Client }) => new S3Client({ region: o.region ?? 'us-east-1', ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}) }));
    return this.client;
  }

  get label(): string {
    return this.url;
  }

  private key(rel: string): string {
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  async putInput(localPath: string, signal?: AbortSignal): Promise<StorageRef> {
    const ext = path.extname(localPath).toLowerCase();
    const Key = this.key(`inputs/${await sha256Of(localPath)}${ext}`);
    const { HeadObjectCommand, PutObjectCommand, GetObjectCommand, getSignedUrl } = await awsSdk();
    const s3 = await this.s3;
    const exists = await s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal }).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const Body = await fs.promises.readFile(localPath); // start images and audio: small
      await s3.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body }), { abortSignal: signal });
    }
    return { kind: 'url', url: await getSignedUrl(s3, new GetObjectCommand({ Bucket: this.bucket, Key }), { expiresIn: PRESIGN_S }), ext };
  }

  async outputRef(id: string): Promise<StorageRef> {
    const Key = this.key(`results/${resultName(id)}`);
    const { PutObjectCommand, getSignedUrl } = await awsSdk();
    return { kind: 'url', url: await getSignedUrl(await this.s3, new PutObjectCommand({ Bucket: this.bucket, Key, ContentType: 'video/mp4' }), { expiresIn: PRESIGN_S }) };
  }

  async fetchResult(id: string, dest: string, signal?: AbortSignal): Promise<void> {
    const { GetObjectCommand } = await awsSdk();
    const res = await (await this.s3).send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(`results/${resultName(id)}`) }), { abortSignal: signal });
    await pipeline(res.Body as Readable, fs.createWriteStream(dest), { signal });
  }
}

/** The storage LTX_FARM_STORAGE names (a folder path or s3:// URL); null when unset. Throws on an unreadable s3:// URL. */
export function storageFrom(spec: string | undefined, env: NodeJS.ProcessEnv): FarmStorage | null {
  if (!spec) return null;
  if (spec.startsWith('s3://')) return new S3Storage(spec, { endpoint: env.LTX_FARM_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL, region: env.AWS_REGION });
  return new FolderStorage(path.resolve(spec));
}
