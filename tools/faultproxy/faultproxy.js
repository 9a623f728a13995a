'use strict';
// A fault-injecting HTTP proxy for the test suite, put in front of s3rver or Azurite (plain HTTP). It listens on
// 127.0.0.1 and a free port (or --port), prints one line of JSON ({"port":N}) once it listens, forwards every request
// to --upstream and answers with what the upstream answered, except that a set share of requests suffer a fault. It
// stops when its standard input closes or on Ctrl+C, so a test run that dies never leaves a proxy behind. Node only,
// no packages.
//
//   node faultproxy.js --upstream http://127.0.0.1:<port> [--port <n>] [--seed <n>] [--rate <0..1>]
//                      [--fault <kind>=<rate>]... [--stall-ms <n>] [--log]
//
// Kinds of fault:
//   reset         the connection is reset before the request reaches the upstream
//   reset-after   the upstream handles the request (a PUT is stored), then the connection is reset before the answer
//   reset-body    the answer's headers and half its body come, then the connection is reset
//   truncate      the answer's headers (with the full Content-Length) and half its body come, then the connection
//                 closes cleanly: fewer bytes than promised
//   reset-upload  the request's body is cut: about half of it reaches the upstream, then both connections are reset
//   500           the proxy answers 500 InternalError itself, S3- or Azure-shaped (Azure when the request has an
//                 x-ms-version header)
//   503           the proxy answers 503 SlowDown (S3) or ServerBusy (Azure) itself
//   stall         the answer comes --stall-ms late (3000 by default)
//   stall-body    the answer's headers and half its body come, then nothing for --stall-ms, then the rest
// A body fault on an answer with fewer than two body bytes (HEAD, 204, an empty object) becomes reset-after, and
// reset-upload on a request without a body becomes reset: the fault is counted as the kind really injected.
//
// --rate R spreads R evenly over every kind (each request suffers a fault with probability R); --fault kind=r sets
// one kind's rate (after --rate, so it overrides that kind's share). One draw per request, in arrival order, from a
// generator seeded by --seed (1 by default): the same requests in the same order suffer the same faults.
//
// Control requests, never forwarded, faulted or counted:
//   GET /__faultproxy/stats    {"requests":N,"faults":{"reset":n,...},"settings":{...}}
//   PUT /__faultproxy/config   a JSON body {"seed":n,"rate":r,"faults":{"kind":r},"stallMs":n} replaces the settings
//                              (fields left out take their defaults) and zeroes the counters
// --log prints one JSON line per injected fault ({"fault":kind,"method":...,"path":...}) on standard output.

const http = require('http');

const KINDS = ['reset', 'reset-after', 'reset-body', 'truncate', 'reset-upload', '500', '503', 'stall', 'stall-body'];
const BODY_KINDS = new Set(['reset-body', 'truncate', 'stall-body']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);
const CONTROL = '/__faultproxy/';

function fail(message) {
  process.stderr.write(`faultproxy: ${message}\n`);
  process.exit(2);
}

function rateOf(text, what) {
  const r = Number(text);
  if (!(r >= 0 && r <= 1)) throw new Error(`${what} must be a number from 0 to 1, not '${text}'`);
  return r;
}

// Settings from a JSON object ({seed, rate, faults, stallMs}); missing fields take their defaults. Throws on a bad one.
function settingsOf(spec) {
  const faults = {};
  for (const kind of KINDS) faults[kind] = spec.rate ? rateOf(spec.rate, 'rate') / KINDS.length : 0;
  for (const [kind, rate] of Object.entries(spec.faults || {})) {
    if (!KINDS.includes(kind)) throw new Error(`unknown fault kind '${kind}' (kinds: ${KINDS.join(', ')})`);
    faults[kind] = rateOf(rate, `the rate of ${kind}`);
  }
  const total = Object.values(faults).reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-9) throw new Error(`the fault rates add up to ${total}, more than 1`);
  const stallMs = spec.stallMs === undefined ? 3000 : Number(spec.stallMs);
  if (!(stallMs >= 0)) throw new Error(`stall-ms must be a number of milliseconds, not '${spec.stallMs}'`);
  const seed = spec.seed === undefined ? 1 : Number(spec.seed);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, not '${spec.seed}'`);
  return { seed, faults, stallMs };
}

function parseArgs(argv) {
  const options = { upstream: null, port: 0, log: false, spec: { faults: {} } };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--upstream': options.upstream = value; i++; break;
      case '--port': options.port = Number.parseInt(value, 10); i++; break;
      case '--seed': options.spec.seed = value; i++; break;
      case '--rate': options.spec.rate = value; i++; break;
      case '--stall-ms': options.spec.stallMs = value; i++; break;
      case '--fault': {
        const m = /^([a-z0-9-]+)=(.+)$/.exec(value || '');
        if (!m) fail(`--fault takes kind=rate, not '${value}'`);
        options.spec.faults[m[1]] = m[2];
        i++;
        break;
      }
      case '--log': options.log = true; break;
      default: fail(`unknown argument ${argv[i]}`);
    }
  }
  if (!options.upstream) fail('--upstream is required');
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:') fail('--upstream must be an http:// URL');
  if (!(options.port >= 0 && options.port <= 65535)) fail('--port must be a number from 0 to 65535');
  try {
    return { ...options, upstream, settings: settingsOf(options.spec) };
  } catch (e) {
    return fail(e.message);
  }
}

// mulberry32: small, fast and reproducible from a 32-bit seed.
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const options = parseArgs(process.argv.slice(2));
const agent = new http.Agent({ keepAlive: true });
let settings;
let random;
let requests;
let injected;

function configure(next) {
  settings = next;
  random = generator(settings.seed);
  requests = 0;
  injected = Object.fromEntries(KINDS.map(k => [k, 0]));
}
configure(options.settings);

function draw() {
  const r = random();
  let sum = 0;
  for (const kind of KINDS) {
    sum += settings.faults[kind];
    if (r < sum) return kind;
  }
  return null;
}

function record(kind, req) {
  injected[kind]++;
  if (options.log) process.stdout.write(JSON.stringify({ fault: kind, method: req.method, path: req.url }) + '\n');
}

// A reset (RST) rather than a clean close, where this Node has it.
function reset(socket) {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

function forwardedHeaders(headers, length) {
  const result = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) result[name] = value;
  if (length !== null) result['content-length'] = String(length);
  return result;
}

function errorAnswer(req, res, status) {
  const azure = req.headers['x-ms-version'] !== undefined;
  const code = status === 500 ? 'InternalError' : azure ? 'ServerBusy' : 'SlowDown';
  const message = status === 500 ? 'Injected by faultproxy: an internal error.' : 'Injected by faultproxy: the server is busy.';
  const body = Buffer.from(azure
    ? `\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
    : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>faultproxy</RequestId></Error>`);
  // An answer to HEAD has no body, and says so: the SDKs read the code from the status and x-ms-error-code.
  const head = req.method === 'HEAD';
  const headers = head ? { 'content-length': '0' } : { 'content-type': 'application/xml', 'content-length': String(body.length) };
  if (azure) headers['x-ms-error-code'] = code;
  res.writeHead(status, headers);
  res.end(head ? undefined : body);
}

// Sends the upstream's answer to the client, with the fault (if any) applied.
function answer(req, res, kind, upstream, body) {
  const hasBody = req.method !== 'HEAD' && body.length >= 2;
  if (BODY_KINDS.has(kind) && !hasBody) kind = 'reset-after';
  if (kind) record(kind, req);
  const headers = forwardedHeaders(upstream.headers, req.method === 'HEAD' ? null : body.length);
  const half = Math.floor(body.length / 2);
  switch (kind) {
    case 'reset-after':
      reset(req.socket);
      return;
    case 'stall':
      setTimeout(() => { res.writeHead(upstream.statusCode, headers); res.end(body); }, settings.stallMs);
      return;
    case 'reset-body':
      res.writeHead(upstream.statusCode, headers);
      res.write(body.subarray(0, half), () => reset(req.socket));
      return;
    case 'truncate':
      res.writeHead(upstream.statusCode, headers);
      res.write(body.subarray(0, half), () => req.socket.end());
      return;
    case 'stall-body':
      res.writeHead(upstream.statusCode, headers);
      res.write(body.subarray(0, half));
      setTimeout(() => res.end(body.subarray(half)), settings.stallMs);
      return;
    default:
      res.writeHead(upstream.statusCode, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function forward(req, res, kind, body, length) {
  const up = http.request({
    host: options.upstream.hostname,
    port: options.upstream.port,
    method: req.method,
    path: req.url,
    headers: forwardedHeaders(req.headers, length),
    agent,
  }, upRes => {
    const chunks = [];
    upRes.on('data', c => chunks.push(c));
    upRes.on('end', () => answer(req, res, kind, upRes, Buffer.concat(chunks)));
    upRes.on('error', () => reset(req.socket));
  });
  up.on('error', () => reset(req.socket));
  return up;
}

function control(req, res) {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const path = req.url.slice(CONTROL.length);
    if (req.method === 'GET' && path === 'stats') {
      const body = JSON.stringify({ requests, faults: injected, settings });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    if (req.method === 'PUT' && path === 'config') {
      let next;
      try {
        next = settingsOf(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(e.message || e));
        return;
      }
      configure(next);
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`unknown control request ${req.method} ${req.url}\n`);
  });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith(CONTROL)) {
    control(req, res);
    return;
  }
  requests++;
  // A client that went away (a stall it gave up on, a connection this proxy reset) is no reason to stop.
  res.on('error', () => {});
  let kind = draw();
  const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
  if (kind === 'reset-upload' && !(declared > 0)) kind = 'reset';
  req.on('error', () => {});
  if (kind === 'reset') {
    record(kind, req);
    reset(req.socket);
    return;
  }
  if (kind === '500' || kind === '503') {
    record(kind, req);
    req.resume();
    req.on('end', () => errorAnswer(req, res, Number(kind)));
    return;
  }
  if (kind === 'reset-upload') {
    // Half the body goes to the upstream as it arrives, then both connections are cut mid-upload.
    record(kind, req);
    const up = forward(req, res, null, null, declared);
    up.on('error', () => {});
    let received = 0;
    const cut = Math.max(1, Math.floor(declared / 2));
    req.on('data', chunk => {
      if (received >= cut) return;
      const part = chunk.subarray(0, cut - received);
      received += part.length;
      up.write(part);
      if (received >= cut) {
        up.destroy();
        reset(req.socket);
      }
    });
    return;
  }
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    forward(req, res, kind, body, declared === null && body.length === 0 ? null : body.length).end(body);
  });
});

// A client that goes away mid-request is no reason to stop.
server.on('clientError', (err, socket) => socket.destroy());

server.listen(options.port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
