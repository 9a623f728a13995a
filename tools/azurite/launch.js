// Starts Azurite's Blob service on 127.0.0.1 for one test class: in memory, no telemetry, any API version the SDK
// sends (Azurite 3.35 predates it). Prints {"port": N} once it listens, and stops it when standard input closes, so
// a test run that dies leaves no emulator behind.
// Usage: node launch.js --port N
'use strict';
const { spawn } = require('child_process');

const i = process.argv.indexOf('--port');
const port = i > 0 ? process.argv[i + 1] : '';
if (!/^[0-9]+$/.test(port)) { console.error('usage: node launch.js --port N'); process.exit(2); }

const child = spawn(process.execPath, [require.resolve('azurite/dist/src/blob/main.js'),
  '--blobHost', '127.0.0.1', '--blobPort', port, '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck'],
  { stdio: ['ignore', 'pipe', 'inherit'] });

let announced = false;
child.stdout.on('data', (chunk) => {
  if (!announced && /successfully listen/i.test(chunk.toString())) {
    announced = true;
    process.stdout.write(JSON.stringify({ port: Number(port) }) + '\n');
  }
});
child.on('exit', (code) => process.exit(code === null ? 1 : code));

const stop = () => { child.kill('SIGTERM'); setTimeout(() => { child.kill('SIGKILL'); process.exit(0); }, 3000).unref(); };
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
