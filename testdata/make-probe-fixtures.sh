#!/usr/bin/env bash
# Generates the probe/preflight fixtures into DIR (default: build/testdata) with
# ffmpeg, libvips and ImageMagick. Each file's name says what it is; rule edges
# are made on both sides. Re-running is cheap: a stamp of this script skips work.
set -euo pipefail
out=${1:-build/testdata}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.probe-$(sha1sum "$0" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
cd "$out"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# A test-pattern video: ff_video OUT W H FPS SECONDS [extra ffmpeg args...]
ff_video() {
  local o=$1 w=$2 h=$3 r=$4 t=$5; shift 5
  ff -f lavfi -i "testsrc2=size=${w}x${h}:rate=${r}" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
     -t "$t" -c:v libx264 -preset ultrafast -crf 35 -pix_fmt yuv420p -c:a aac -b:a 64k "$@" "$o"
}

# --- images: each side 300-6000 px, aspect 0.4-2.5 ---------------------------
vips black img_300x300.png 300 300
vips black img_299x400.png 299 400
vips black img_400x299.png 400 299
vips black img_6000x3000.jpg 6000 3000
vips black img_6001x3000.jpg 6001 3000
vips black img_3000x6001.jpg 3000 6001
vips black img_aspect_0.4_400x1000.png 400 1000
vips black img_aspect_0.399_399x1000.png 399 1000
vips black img_aspect_2.5_1000x400.png 1000 400
vips black img_aspect_2.503_1001x400.png 1001 400
ff -f lavfi -i "testsrc2=size=640x480" -frames:v 1 img_640x480.webp
ff -f lavfi -i "testsrc2=size=640x480" -frames:v 1 img_640x480.bmp
ff -f lavfi -i "testsrc2=size=640x480" -frames:v 1 -pix_fmt rgb24 img_640x480.tiff
# stored 800x400, EXIF orientation 6 (rotate 90° on display): shows as 400x800
ff -f lavfi -i "testsrc2=size=800x400" -frames:v 1 exif_base.jpg
{ head -c 2 exif_base.jpg   # SOI, then an APP1 Exif segment holding only Orientation=6
  printf '\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00'
  tail -c +3 exif_base.jpg; } > img_exif6_800x400.jpg
rm exif_base.jpg
ff -f lavfi -i "testsrc2=size=320x320:rate=5" -t 1 img_anim_5frames_320x320.gif
ff -f lavfi -i "testsrc2=size=400x300" -frames:v 1 -pix_fmt rgba64be img_16bit_alpha_400x300.png
convert -size 400x300 xc:red -colorspace CMYK img_cmyk_400x300.jpg
# 36 MB: over the 30 MB image cap
vips black img_4000x3000_36MB.bmp 4000 3000 --bands 3
# header claims 100000x100000; must be refused without decoding
cp "$here/bomb-100000x100000.png" img_bomb_100000x100000.png

# --- videos: 2-15 s, 24-60 fps, 409 600-927 408 px, mp4/mov, <= 50 MB --------
ff_video vid_640x640_24fps_5s.mp4 640 640 24 5 -movflags +faststart
ff_video vid_834x1112_30fps_2s.mp4 834 1112 30 2
ff_video vid_640x638_30fps_2s.mp4 640 638 30 2
ff_video vid_836x1112_30fps_2s.mp4 836 1112 30 2
ff_video vid_640x640_30fps_1.9s.mp4 640 640 30 1.9
ff_video vid_640x640_30fps_2s.mp4 640 640 30 2
ff_video vid_640x640_30fps_15s.mp4 640 640 30 15
ff_video vid_640x640_30fps_15.1s.mp4 640 640 30 15.1
ff_video vid_640x640_23fps_3s.mp4 640 640 23 3
ff_video vid_640x640_60fps_2s.mp4 640 640 60 2
ff_video vid_640x640_61fps_2s.mp4 640 640 61 2
ff_video vid_640x640_24fps_3s.mov 640 640 24 3
ff_video vid_640x640_24fps_3s.mkv 640 640 24 3
# phone clip: stored 854x480, display matrix turns it 90° clockwise -> 480x854.
# FFmpeg 5.1's CLI cannot set a display matrix, so write it into the video tkhd.
ff_video vid_rot90_854x480_30fps_3s.mp4 854 480 30 3
perl -0777 -pi -e '
  my $at = index($_, "tkhd") - 4;
  my $matrix = $at + (ord(substr($_, $at + 8, 1)) == 1 ? 60 : 48);
  substr($_, $matrix, 36) = pack("N9", 0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000);
' vid_rot90_854x480_30fps_3s.mp4
# HEVC, and audio that runs 2 s longer than the video
ff -f lavfi -i "testsrc2=size=640x640:rate=24" -t 3 -c:v libx265 -preset ultrafast -x265-params log-level=none \
   -pix_fmt yuv420p -tag:v hvc1 vid_hevc_640x640_24fps_3s.mp4
ff -f lavfi -i "testsrc2=size=640x640:rate=24:duration=3" -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=5" \
   -c:v libx264 -preset ultrafast -crf 35 -pix_fmt yuv420p -c:a aac vid_3s_audio_5s.mp4
# 74 MB of raw video in mov: over the 50 MB cap
ff -f lavfi -i "testsrc2=size=640x640:rate=30" -t 3 -c:v rawvideo -pix_fmt uyvy422 vid_raw_74MB.mov

# --- audio: wav/mp3, 2-15 s, <= 15 MB -----------------------------------------
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -ac 2 -t 5 aud_5s.wav
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 5 -c:a libmp3lame -b:a 128k aud_5s.mp3
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 5 -c:a libmp3lame -b:a 128k -write_xing 0 aud_5s_noxing.mp3
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 5 aud_5s.flac
ff -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 1.9 aud_1.9s.wav
ff -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 2 aud_2s.wav
ff -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 15 aud_15s.wav
ff -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 15.1 aud_15.1s.wav
# 96 kHz, 6 channels, 32-bit for 10 s: 23 MB, over the 15 MB cap
ff -f lavfi -i "sine=frequency=440:sample_rate=96000" -t 10 -ac 6 -c:a pcm_s32le aud_10s_23MB.wav

# --- bad input ------------------------------------------------------------------
: > bad_empty.mp4
head -c 65536 /dev/urandom > bad_random.bin
cp bad_random.bin bad_random.mp4
printf 'This is a text file, not a video.\n%.0s' $(seq 40) > bad_text.mp4
mkdir -p bad_directory.mp4
# faststart clip cut in the middle of its media data
size=$(stat -c %s vid_640x640_24fps_5s.mp4)
head -c $((size * 6 / 10)) vid_640x640_24fps_5s.mp4 > bad_truncated.mp4
# moov at the end, cut before it: no moov at all
size=$(stat -c %s vid_640x640_30fps_2s.mp4)
head -c $((size * 8 / 10)) vid_640x640_30fps_2s.mp4 > bad_nomoov.mp4

touch "$stamp"
