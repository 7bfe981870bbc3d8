// The integration harness: starts the real `parley` binary on a free
// loopback port with a config and data dir of the test's own, waits for
// /healthz, and stops it (SIGTERM, then SIGKILL after a bound). Every server
// a test starts is stopped by the test, and by an exit hook if a test dies.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PARLEY_BIN = process.env.PARLEY_BIN ?? path.resolve('build/parley');
export const SOURCE_DIR = process.env.PARLEY_SOURCE_DIR ?? path.resolve('.');

const running = new Set();
const temps = new Set();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
  // every temporary folder a test made goes, whether or not the test cleaned up
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'parley-it-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.add(dir);
  return dir;
}

// Writes a config object to a file in dir and returns its path.
export function writeConfig(dir, config) {
  const file = path.join(dir, 'parley.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

// Runs `parley ARGS` to completion; resolves {code, signal, stdout, stderr}.
export function runParley(args, { env, timeoutMs = 60000, cwd = SOURCE_DIR } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(PARLEY_BIN, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Starts `parley serve` and resolves once /healthz answers 200.
// options: config (object, written to a temp file) or configPath; dataDir;
// extraArgs; env; wrapper (e.g. ['valgrind', ...]) to run the binary under.
export async function startParley({ config = {}, configPath, dataDir, extraArgs = [], env = {},
                                   wrapper = [], startTimeoutMs = 30000 } = {}) {
  const work = tempDir();
  const cfgPath = configPath ?? writeConfig(work, {
    ...config,
    server: { accessLog: '-', ...(config.server ?? {}), port: 0 },
  });
  const data = dataDir ?? path.join(work, 'data');
  const args = ['serve', '--config', cfgPath, '--data-dir', data, '--port', '0', ...extraArgs];
  const cmd = wrapper.length ? wrapper[0] : PARLEY_BIN;
  const cmdArgs = wrapper.length ? [...wrapper.slice(1), PARLEY_BIN, ...args] : args;
  const proc = spawn(cmd, cmdArgs, { cwd: SOURCE_DIR, env: { ...process.env, ...env } });
  running.add(proc);
  const server = {
    proc, work, dataDir: data, configPath: cfgPath, stdout: '', stderr: '',
    exited: new Promise((resolve) => proc.on('close', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    })),
  };
  proc.stdout.on('data', (d) => (server.stdout += d));
  proc.stderr.on('data', (d) => (server.stderr += d));

  const deadline = Date.now() + startTimeoutMs;
  while (!server.port) {
    const m = server.stderr.match(/listening on http:\/\/([0-9.]+):(\d+)/);
    if (m) server.port = Number(m[2]);
    else if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`parley did not start: ${server.stderr}`);
    } else await sleep(20);
  }
  server.url = `http://127.0.0.1:${server.port}`;
  for (;;) {
    try {
      const r = await fetch(`${server.url}/healthz`);
      if (r.status === 200) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error('parley never answered /healthz');
    await sleep(20);
  }
  // Stops with SIGTERM (or the given signal); SIGKILL if it takes longer than the bound.
  server.stop = async (signal = 'SIGTERM', boundMs = 30000) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), boundMs);
    const result = await server.exited;
    clearTimeout(timer);
    return result;
  };
  server.cleanup = () => rmSync(work, { recursive: true, force: true });
  return server;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
