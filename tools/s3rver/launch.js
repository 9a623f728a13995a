'use strict';
// Starts s3rver for the test suite on 127.0.0.1 and a free port (or --port, to run it by hand at a known address),
// with the given data folder and buckets, and prints one line of JSON ({"port":N}) once it listens. It stops when its
// standard input closes or on Ctrl+C, so a test run that dies never leaves a server behind.
//
//   node launch.js --directory <dir> [--bucket <name>]... [--access-key <id>]... [--port <n>] [--cert <pem> --key <pem>] [--atomic-put]
//
// With --cert and --key it serves HTTPS (tests of custom CA bundles).
//
// s3rver accepts only the access key ids it knows (it does not check SigV4 signatures), so every --access-key is
// registered with the built-in account; any other key id gets InvalidAccessKeyId, as a wrong key does on AWS.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const AWSAccount = require('s3rver/lib/models/account');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const S3Object = require('s3rver/lib/models/object');
const { walk } = require('s3rver/lib/utils');

// s3rver 3.7.1 bugs that would make S3 listings, objects or copies wrong in ways real S3 never is, fixed here rather
// than worked around in the driver under test:
//
// 1. With a delimiter, listObjects does not descend below a common prefix, so a prefix whose objects all sit two or
//    more levels deeper (Longhorn's volumes/<h0h1>/<h2h3>/<name>/...) is never reported. The replacement walks every
//    object under the prefix and groups by the delimiter as S3 does.
// 2. ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 (Node 17+) refuses, so any truncated
//    listing fails with 500. 'des' is mapped to AES-128-CBC with the 8-byte key and IV doubled; the tokens stay
//    opaque and round-trip.
FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const bucketPath = this.getBucketPath(bucket);
  const prefixPath = [bucketPath, FilesystemStore.encodeKeyPath(prefix)].join('/');
  const objectSuffix = '._S3rver_object';
  const keys = [];
  const intersects = dirPath => dirPath.startsWith(prefixPath) || prefixPath.startsWith(dirPath + '/') || prefixPath.startsWith(dirPath);
  for (const keyPath of walk(bucketPath, intersects)) {
    if (!keyPath.endsWith(objectSuffix)) continue;
    const key = FilesystemStore.decodeKeyPath(keyPath.slice(bucketPath.length + 1, -objectSuffix.length));
    if (key > startAfter && key.startsWith(prefix)) keys.push(key);
  }
  keys.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));

  const objectKeys = [];
  const commonPrefixes = new Set();
  let isTruncated = false;
  for (const key of keys) {
    const idx = delimiter ? key.slice(prefix.length).indexOf(delimiter) : -1;
    if (idx !== -1) {
      commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
      continue;
    }
    if (objectKeys.length >= maxKeys) {
      isTruncated = true;
      break;
    }
    objectKeys.push(key);
  }
  if (isTruncated) {
    // prefixes past the last object of this page come with the next page
    const last = objectKeys[objectKeys.length - 1];
    for (const p of [...commonPrefixes]) if (p > last) commonPrefixes.delete(p);
  }
  const metadata = await Promise.all(objectKeys.map(key =>
    this.getMetadata(bucket, key).catch(err => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    })));
  return {
    objects: objectKeys
      .map((key, i) => [key, metadata[i]])
      .filter(([, m]) => m !== undefined)
      .map(([key, m]) => new S3Object(bucket, key, null, m)),
    commonPrefixes: [...commonPrefixes].sort(),
    isTruncated,
  };
};

// 3. With --atomic-put: an upload cut short (the client's connection dropped mid-body, as the fault proxy in
//    tools/faultproxy does, or the client killed) overwrites the object with the part that had arrived, under the old
//    object's metadata and MD5; AWS, Ceph RGW and MinIO store a PUT whole or not at all. The body then goes to a
//    temporary file that replaces the object only when all of it (as many bytes as Content-Length promised) arrived.
//    Without the option s3rver keeps its own behaviour: a store without atomic PUT, as some NAS-backed S3 gateways
//    are, which the kill tests need.
const putInPlace = FilesystemStore.prototype.putObject;
async function putWhole(object) {
  if (Buffer.isBuffer(object.content)) return putInPlace.call(this, object);
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  const temporary = `${objectPath}.${crypto.randomBytes(8).toString('hex')}.upload`;
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  const declared = object.metadata['content-length'] === undefined ? null : Number(object.metadata['content-length']);
  try {
    const [size, md5] = await new Promise((resolve, reject) => {
      const source = object.content;
      const md5Context = crypto.createHash('md5');
      const out = fs.createWriteStream(temporary);
      let size = 0;
      let ended = false;
      const cut = () => {
        out.destroy();
        reject(Object.assign(new Error('the upload was cut short'), { code: 'ECONNRESET' }));
      };
      source.on('aborted', cut);
      source.on('error', cut);
      source.on('close', () => { if (!ended) cut(); });
      source.on('data', chunk => { md5Context.update(chunk); size += chunk.length; });
      source.on('end', () => { ended = true; });
      out.on('error', reject);
      out.on('finish', () => {
        if (!ended || (declared !== null && size !== declared)) cut();
        else resolve([size, md5Context.digest('hex')]);
      });
      source.pipe(out);
    });
    await fs.promises.rename(temporary, objectPath);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };
  } finally {
    await fs.promises.rm(temporary, { force: true });
  }
};

// 4. A copy's source (x-amz-copy-source) is read with decodeURI, which leaves "%2F" encoded: the AWS SDK encodes the
//    '/' between bucket and key, so every copy failed with NoSuchBucket. Decode it whole, as S3 does.
const objectController = require('s3rver/lib/controllers/object');
const putObjectCopy = objectController.putObjectCopy;
objectController.putObjectCopy = function (ctx) {
  ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(ctx.headers['x-amz-copy-source']));
  return putObjectCopy.call(this, ctx);
};

for (const name of ['createCipheriv', 'createDecipheriv']) {
  const original = crypto[name];
  crypto[name] = function (algorithm, key, iv, ...rest) {
    if (algorithm === 'des') return original.call(crypto, 'aes-128-cbc', Buffer.concat([key, key]), Buffer.concat([iv, iv]), ...rest);
    return original.call(crypto, algorithm, key, iv, ...rest);
  };
}

function parseArgs(argv) {
  const options = { directory: null, buckets: [], accessKeys: [], port: 0, cert: null, key: null, atomicPut: false };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--directory': options.directory = value; i++; break;
      case '--bucket': options.buckets.push(value); i++; break;
      case '--access-key': options.accessKeys.push(value); i++; break;
      case '--cert': options.cert = value; i++; break;
      case '--key': options.key = value; i++; break;
      case '--port': options.port = Number.parseInt(value, 10); i++; break;
      case '--atomic-put': options.atomicPut = true; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!options.directory) throw new Error('--directory is required');
  if (!(options.port >= 0 && options.port <= 65535)) throw new Error('--port must be a number from 0 to 65535');
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  for (const key of options.accessKeys) AWSAccount.DUMMY_ACCOUNT.createKeyPair(key, key);
  if (options.atomicPut) FilesystemStore.prototype.putObject = putWhole;
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    silent: true,
    directory: path.resolve(options.directory),
    configureBuckets: options.buckets.map(name => ({ name, configs: [] })),
    ...(options.cert ? { cert: fs.readFileSync(options.cert), key: fs.readFileSync(options.key) } : {}),
  });
  const { port } = await server.run();
  process.stdout.write(JSON.stringify({ port }) + '\n');

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(err => {
  process.stderr.write(`s3rver launcher: ${err.stack || err}\n`);
  process.exit(1);
});
