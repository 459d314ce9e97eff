/**
 * Webhook and robot addresses that must be refused (the outbound policy of
 * dispatch): every form of loopback, private, link-local, CGNAT, unspecified,
 * multicast, broadcast and metadata address a probe tried, by category. Used by
 * dispatch's outbound tests and test/fuzz/outbound.test.ts. Only ever used to
 * create channels, which must fail: nothing is sent to these.
 */
export const FORBIDDEN_DESTINATIONS: Readonly<Record<string, readonly string[]>> = {
  'loopback, the stack’s own ports': [
    'http://127.0.0.1/',
    'http://127.0.0.1:3001/v1/incidents',
    'http://127.0.0.1:3002/v1/channels',
    'http://127.0.0.1:3003/console',
    'http://127.0.0.1:5432/',
    'http://127.0.0.1:4222/',
    'http://127.0.0.1:7233/',
    'https://127.0.0.1:8233/',
    'http://127.255.255.254/',
    'http://[::1]/',
    'http://[::1]:3002/',
    'http://[0:0:0:0:0:0:0:1]/',
  ],
  'loopback written otherwise (hex, decimal, octal, short, full-width)': [
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f.0.0.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://127.000.000.001/',
    'http://１２７.０.０.１/',
  ],
  'host names of this machine': [
    'http://localhost/',
    'http://LOCALHOST:3002/',
    'http://localhost./',
    'https://localhost:8233/',
    'http://dispatch.localhost:3002/',
  ],
  unspecified: ['http://0.0.0.0/', 'http://0/', 'http://0.0.0.0:3001/', 'http://[::]/'],
  'private (RFC 1918)': [
    'http://10.0.0.1/',
    'http://10.255.255.255/',
    'http://172.16.0.1/',
    'http://172.31.255.254/',
    'http://192.168.0.1/',
    'http://192.168.1.1:8080/',
  ],
  'CGNAT (100.64/10)': ['http://100.64.0.1/', 'http://100.127.255.254/'],
  'unique local IPv6 (fc00::/7)': ['http://[fc00::1]/', 'http://[fd12:3456:789a::1]/'],
  'link-local': ['http://169.254.0.1/', 'http://[fe80::1]/'],
  'cloud metadata': [
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://100.100.100.200/latest/meta-data/',
    'http://169.254.0.23/',
    'http://192.0.0.192/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://metadata.tencentyun.com/latest/meta-data/',
  ],
  'multicast and broadcast': ['http://224.0.0.1/', 'http://239.255.255.250:1900/', 'http://255.255.255.255/', 'http://[ff02::1]/'],
  'IPv4-mapped IPv6': [
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:10.0.0.1]/',
    'http://[0:0:0:0:0:ffff:c0a8:101]/',
    'http://[::ffff:0.0.0.0]/',
  ],
  'IPv4 inside IPv6 (NAT64, 6to4)': ['http://[64:ff9b::7f00:1]/', 'http://[2002:7f00:1::]/'],
  'reserved and documentation ranges': ['http://192.0.2.1/', 'http://198.18.0.1/', 'http://240.0.0.1/'],
};
