# Run by nbdsh with strict mode off, so the write reaches the server: prints the errno the server answered.
import json
h2 = nbd.NBD()
h2.set_strict_mode(0)
h2.connect_uri(h.get_uri())
try:
    h2.pwrite(b'x' * 4096, 0)
    print(json.dumps({'errno': None}))
except nbd.Error as e:
    print(json.dumps({'errno': e.errno}))
h2.shutdown()
