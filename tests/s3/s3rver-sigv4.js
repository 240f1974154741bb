// s3rver with SigV4 checked in full, for test_upload. s3rver 3 checks a SigV4
// request's key id, date and expiry but not its HMAC (its code says so); this
// puts a complete check in front of its routes, written from AWS's
// description of SigV4, so a wrong secret is refused as S3 refuses it
// (403 SignatureDoesNotMatch), for signed requests and presigned URLs alike.
//   NODE_PATH=$(npm root -g) node s3rver-sigv4.js DIR PORT BUCKET
// Key pair: S3RVER / S3RVER (s3rver's own account), or S3RVER / $S3RVER_SECRET
// (s3rver checks no HMAC, so any secret can stand in for its own). Logs one
// line per request.
'use strict';
const crypto = require('crypto');
const S3rver = require('s3rver');

const [dir, port, bucket] = process.argv.slice(2);
const SECRET = process.env.S3RVER_SECRET || 'S3RVER';

const hmac = (key, text) => crypto.createHmac('sha256', key).update(text).digest();
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function canonicalQuery(raw, drop) {
  if (!raw) return '';
  return raw.split('&').filter((p) => p.length > 0)
    .map((p) => { const i = p.indexOf('='); return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)]; })
    .map(([k, v]) => [decodeURIComponent(k), decodeURIComponent(v.replace(/\+/g, '%20'))])
    .filter(([k]) => k !== drop)
    .map(([k, v]) => [encode(k), encode(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => k + '=' + v).join('&');
}

// null when the request carries no SigV4, else whether its signature is right.
function verify(ctx) {
  const q = ctx.query;
  let credential, signedHeaders, signature, date, payload, drop;
  const auth = ctx.get('authorization');
  if (auth.startsWith('AWS4-HMAC-SHA256 ')) {
    const parts = Object.fromEntries(auth.slice(17).split(',').map((s) => s.trim().split('=')));
    [credential, signedHeaders, signature] = [parts.Credential, parts.SignedHeaders, parts.Signature];
    date = ctx.get('x-amz-date');
    payload = ctx.get('x-amz-content-sha256');
  } else if (q['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256') {
    [credential, signedHeaders, signature] = [q['X-Amz-Credential'], q['X-Amz-SignedHeaders'], q['X-Amz-Signature']];
    date = q['X-Amz-Date'];
    payload = 'UNSIGNED-PAYLOAD';
    drop = 'X-Amz-Signature';
  } else {
    return null;
  }
  const [, day, region, service] = credential.split('/');
  const headers = signedHeaders.split(';')
    .map((h) => h + ':' + String(ctx.get(h)).trim().replace(/\s+/g, ' ') + '\n').join('');
  const path = ctx.url.split('?')[0];
  const canonical = [ctx.method, path, canonicalQuery(ctx.querystring, drop), headers, signedHeaders, payload].join('\n');
  const scope = [day, region, service, 'aws4_request'].join('/');
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n');
  let key = hmac('AWS4' + SECRET, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, toSign).toString('hex') === signature;
}

const server = new S3rver({
  address: '127.0.0.1', port: Number(port), directory: dir, silent: false,
  configureBuckets: [{ name: bucket, configs: [] }],
});
server.middleware.unshift(async (ctx, next) => {
  const ok = verify(ctx);
  console.log(`request ${ctx.method} ${ctx.path} sigv4=${ok === null ? 'none' : ok ? 'good' : 'bad'}`);
  if (ok === false) {
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
      '<Message>The request signature we calculated does not match the signature you provided.</Message></Error>';
    return;
  }
  await next();
});
server.run().then(() => console.log(`listening on 127.0.0.1:${port}`));
