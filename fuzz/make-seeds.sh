#!/usr/bin/env bash
# Makes the small media seeds committed under fuzz/corpus/ (rerun only to
# change them; keep them tiny: every exec of a media target reads one).
#   fuzz/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")/corpus"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
mkdir -p isobmff probe jpeg_scale journal png_roundtrip
v='testsrc2=size=64x48:rate=24:duration=0.25'
a='sine=frequency=440:sample_rate=16000:duration=0.25'
# isobmff: plain (moov last and first), fragmented, mov, HEVC, 64-bit box sizes
ff -f lavfi -i "$v" -f lavfi -i "$a" -c:v libx264 -preset ultrafast -crf 40 -c:a aac -b:a 16k isobmff/plain.mp4
ff -i isobmff/plain.mp4 -c copy -movflags +faststart isobmff/faststart.mp4
ff -i isobmff/plain.mp4 -c copy -movflags +frag_keyframe+empty_moov isobmff/fragmented.mp4
ff -i isobmff/plain.mp4 -c copy isobmff/plain.mov
ff -f lavfi -i "$v" -c:v libx265 -preset ultrafast -crf 45 -x265-params log-level=none -tag:v hvc1 isobmff/hevc.mp4
python3 - isobmff/plain.mp4 isobmff/largesize.mp4 <<'PY'
import struct, sys
# Every top-level box rewritten with a 64-bit size (size field 1), as large files have.
data, out, at = open(sys.argv[1], 'rb').read(), b'', 0
while at < len(data):
    size, kind = struct.unpack('>I4s', data[at:at + 8])
    body = data[at + 8:at + size]
    if kind in (b'ftyp', b'moov'):
        out += data[at:at + size]
    else:
        out += struct.pack('>I4sQ', 1, kind, len(body) + 16) + body
    at += size
open(sys.argv[2], 'wb').write(out)
PY
# probe: each kind in a few containers
cp isobmff/plain.mp4 isobmff/fragmented.mp4 probe/
ff -f lavfi -i "$v" -frames:v 1 probe/frame.jpg
ff -f lavfi -i "$v" -frames:v 1 probe/frame.png
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt rgba probe/frame.webp
ff -f lavfi -i "$v" -frames:v 3 probe/anim.gif
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt bgr24 probe/frame.bmp
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt rgb48le probe/frame.tiff
ff -f lavfi -i "$v" -c:v libvpx-vp9 -deadline realtime -crf 63 -b:v 0 probe/clip.webm
ff -f lavfi -i "$v" -f lavfi -i "$a" -c:v mpeg4 -q:v 31 -c:a mp3 -b:a 32k probe/clip.avi
ff -f lavfi -i "$v" -f lavfi -i "$a" -c:v libx264 -preset ultrafast -crf 45 -c:a aac -b:a 16k -metadata:s:v rotate=90 probe/rotated.mkv
ff -f lavfi -i "$v" -c:v libx264 -preset ultrafast -crf 45 -f h264 probe/raw.h264
ff -f lavfi -i "$a" -c:a pcm_s16le probe/tone.wav
ff -f lavfi -i "$a" -c:a libmp3lame -b:a 32k probe/tone.mp3
ff -f lavfi -i "$a" -c:a flac probe/tone.flac
ff -f lavfi -i "$a" -c:a libopus -b:a 16k probe/tone.ogg
# jpeg_scale: 4:2:0, 4:4:4, 4:2:2, grey, progressive, restart markers, EXIF orientation 6
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt yuvj420p jpeg_scale/420.jpg
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt yuvj444p jpeg_scale/444.jpg
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt yuvj422p jpeg_scale/422.jpg
ff -f lavfi -i "$v" -frames:v 1 -pix_fmt gray jpeg_scale/grey.jpg
vips copy jpeg_scale/420.jpg jpeg_scale/progressive.jpg[interlace,Q=60]
vips copy jpeg_scale/444.jpg jpeg_scale/restart.jpg[restart-interval=1,Q=60]
python3 - jpeg_scale/420.jpg jpeg_scale/oriented6.jpg <<'PY'
import struct, sys
# An APP1 Exif segment with Orientation = 6 after SOI.
src = open(sys.argv[1], 'rb').read()
tiff = b'MM\x00\x2a' + struct.pack('>I', 8) + struct.pack('>H', 1) + struct.pack('>HHIHH', 0x0112, 3, 1, 6, 0) + b'\0\0\0\0'
app1 = b'Exif\0\0' + tiff
open(sys.argv[2], 'wb').write(src[:2] + b'\xff\xe1' + struct.pack('>H', len(app1) + 2) + app1 + src[2:])
PY
# journal: one made by seedreel's schema, and one from before the added columns
python3 - journal/current.db journal/old-schema.db <<'PY'
import sqlite3, sys, os
cols = """id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, base_url TEXT NOT NULL, model TEXT NOT NULL,
  task_id TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, output TEXT NOT NULL DEFAULT '', request TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))"""
added = ", work_key TEXT NOT NULL DEFAULT '', workflow TEXT NOT NULL DEFAULT '', usage TEXT NOT NULL DEFAULT '', estimate INTEGER NOT NULL DEFAULT -1"
for path, extra in ((sys.argv[1], added), (sys.argv[2], '')):
    if os.path.exists(path): os.remove(path)
    db = sqlite3.connect(path)
    db.execute('PRAGMA page_size=512')
    db.execute(f'CREATE TABLE tasks ({cols}{extra})')
    db.execute('CREATE INDEX tasks_task_id ON tasks(task_id)')
    db.execute("INSERT INTO tasks(provider, base_url, model, task_id, state, output) VALUES('ark-cn','https://x/api/v3','seedance-2.0','cgt-1','running','/o/a.mp4')")
    db.execute("INSERT INTO tasks(provider, base_url, model, state) VALUES('anyfast','https://y','seedance-2.0','bogus')")
    db.commit()
    db.execute('VACUUM')
    db.close()
PY
# png_roundtrip: header bytes (w, h, bands/depth/padding, large) then pixels
printf '\x00\x10\x00\x0c\x02\x00abcdefghijklmnop' > png_roundtrip/rgb8.bin
printf '\x00\x07\x00\x05\x0f\x00\x00\x01\x02\x03\xff\xfe\x80\x7f' > png_roundtrip/rgba16-padded.bin
printf '\x02\xff\x01\xff\x00\xff\x10\x20\x30' > png_roundtrip/grey-large.bin
