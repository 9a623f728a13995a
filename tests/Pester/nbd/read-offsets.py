# Run by nbdsh (libnbd's Python shell; `h` is connected to the export): reads the given ranges, or seeded random
# ones, and prints one JSON line: per read its offset, length, SHA-256 of the data (or the errno name of a failed read, e.g. EIO).
import hashlib, json, os, random, sys

ranges = json.loads(os.environ['LH_NBD_RANGES']) if os.environ.get('LH_NBD_RANGES') else None
if ranges is None:
    rng = random.Random(int(os.environ.get('LH_NBD_SEED', '7')))
    size = h.get_size()
    ranges = []
    for _ in range(int(os.environ.get('LH_NBD_COUNT', '200'))):
        length = rng.choice([1, 512, 4096, 65536, 1000003])
        ranges.append([rng.randrange(0, size - length), length])
results = []
for offset, length in ranges:
    try:
        data = h.pread(length, offset)
        results.append({'offset': offset, 'length': length, 'sha256': hashlib.sha256(data).hexdigest()})
    except nbd.Error as e:
        results.append({'offset': offset, 'length': length, 'errno': e.errno})
print(json.dumps(results))
