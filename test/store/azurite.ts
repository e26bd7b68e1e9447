// Azurite (the Azure Storage emulator, npm package `azurite`) for the Blob storage tests: the blob service only,
// as a child process on a free port, in memory, no telemetry. One instance per test run, started by the first
// suite that asks for it and stopped by mocha's root `after` hook registered below.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerClient, type StorageRetryOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import { blobPipelineOptions } from '../../src/store/blob-storage';

/** Azurite's well-known development account (public, documented by Microsoft). Tests only. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Tests talk to a local process: retry quickly (the policy is the production one, only the delays shrink). */
export const TEST_RETRY: StorageRetryOptions = { retryDelayInMs: 1, maxRetryDelayInMs: 5 };

export class Azurite {
  private constructor(
    private readonly child: ChildProcess,
    private readonly workDir: string,
    /** Path-style account endpoint, e.g. http://127.0.0.1:41234/devstoreaccount1 */
    readonly blobEndpoint: string,
  ) {}

  static async start(): Promise<Azurite> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
    const main = require.resolve('azurite/dist/src/blob/main.js');
    // --skipApiVersionCheck: @azure/storage-blob 12.34 speaks API version 2026-10-06, Azurite 3.35 knows up to
    // 2025-11-05 (Azurite 3.36+ needs Node 21). The operations used here exist in both.
    const args = [
      main,
      '--inMemoryPersistence',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ];
    const child = spawn(process.execPath, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const endpoint = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        // Azurite prints the address it actually bound (port 0 = any free port).
        const match = /successfully listens on (http:\/\/[\d.]+:\d+)/.exec(output);
        if (match) resolve(`${match[1]}/${AZURITE_ACCOUNT}`);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`Azurite exited before listening (${code ?? signal}): ${output.trim().slice(-500)}`)),
      );
    });
    // Keep draining its output so the pipe never fills up.
    return new Azurite(child, workDir, endpoint);
  }

  credential(): StorageSharedKeyCredential {
    return new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  }

  connectionString(accountKey = AZURITE_KEY): string {
    return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${accountKey};BlobEndpoint=${this.blobEndpoint}`;
  }

  containerClient(name: string, retry: StorageRetryOptions = TEST_RETRY): ContainerClient {
    return new ContainerClient(`${this.blobEndpoint}/${name}`, this.credential(), blobPipelineOptions(retry));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

let shared: Promise<Azurite> | undefined;
let containers = 0;

/** The run's Azurite, started on first use. */
export function sharedAzurite(): Promise<Azurite> {
  shared ??= Azurite.start();
  return shared;
}

/** A container name no other test uses (Azurite starts empty, so a counter is enough). */
export function uniqueContainerName(label = 'c'): string {
  return `${label}-${++containers}`;
}

export async function stopSharedAzurite(): Promise<void> {
  const running = shared;
  shared = undefined;
  const azurite = await running?.catch(() => undefined); // a failed start already failed its suite
  await azurite?.stop();
}

// Test files import this module at their top level, while mocha loads them, so `after` here is a hook of the root
// suite: it runs once, after every suite of the run, whichever of them started Azurite.
if (typeof after === 'function') after(stopSharedAzurite);
