#!/usr/bin/env bash
# Generates the post-processing fixtures (last frame, thumbnails, contact
# sheets, stitch) into DIR (default: build/testdata) with the ffmpeg CLI. Each
# name says what the file exercises. A stamp of this script skips re-runs.
set -euo pipefail
out=${1:-build/testdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.post-$(sha1sum "$0" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
mkdir -p "$out/post"
cd "$out/post"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
src() { echo "testsrc2=size=${1}:rate=${2}:duration=${3}"; }
x264() { echo -c:v libx264 -preset veryfast -pix_fmt yuv420p; }
# Sets the first elst entry's segment duration (movie timescale units): an
# edit list that trims the end of the track. FFmpeg 5.1's CLI cannot write one.
trim_edit() {
  perl -0777 -pi -e "my \$at = index(\$_, 'elst'); substr(\$_, \$at + 12, 4) = pack('N', $2);" "$1"
}
# Writes a display matrix into the first tkhd: turn the picture 90° clockwise.
rotate90() {
  perl -0777 -pi -e '
    my $at = index($_, "tkhd") - 4;
    my $matrix = $at + (ord(substr($_, $at + 8, 1)) == 1 ? 60 : 48);
    substr($_, $matrix, 36) = pack("N9", 0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000);
  ' "$1"
}

# --- last frame: every case where "seek to the end and take a frame" goes wrong
ff -f lavfi -i "$(src 320x240 24 3)" -f lavfi -i "sine=f=440:sample_rate=48000:duration=3" \
   $(x264) -bf 3 -g 48 -c:a aac lf_bframes.mp4
ff -f lavfi -i "$(src 320x240 24 3)" $(x264) -bf 3 -x264-params open-gop=1:keyint=30:min-keyint=30:scenecut=0 \
   lf_open_gop.mp4
ff -f lavfi -i "$(src 320x240 24 3)" -c:v libx265 -preset ultrafast -x265-params log-level=none:bframes=3:keyint=30 \
   -pix_fmt yuv420p -tag:v hvc1 lf_hevc.mp4
# variable frame rate: 6 of every 10 frames kept, timestamps untouched
ff -f lavfi -i "$(src 320x240 30 3)" -vf "select='lt(mod(n\,10)\,6)'" -fps_mode vfr $(x264) -bf 2 lf_vfr.mp4
ff -f lavfi -i "$(src 320x240 24 2)" -f lavfi -i "sine=f=440:sample_rate=48000:duration=4" \
   $(x264) -bf 2 -c:a aac lf_audio_longer.mp4
# 3 s of video whose edit list shows only the first 2.5 s (mvhd timescale 1000)
ff -f lavfi -i "$(src 320x240 24 3)" $(x264) -bf 3 lf_editlist_end.mp4
trim_edit lf_editlist_end.mp4 2500
# a phone clip: stored 320x240, shown 240x320
ff -f lavfi -i "$(src 320x240 30 2)" $(x264) -bf 2 lf_rot90.mp4
rotate90 lf_rot90.mp4
ff -f lavfi -i "$(src 320x240 24 1)" -frames:v 1 $(x264) lf_one_frame.mp4
ff -f lavfi -i "$(src 320x240 24 4)" $(x264) -bf 3 -x264-params keyint=1000:min-keyint=1000:scenecut=0 \
   lf_single_keyframe.mp4
# MPEG-TS has no index: seeking is a bisection on timestamps and can land wrong
ff -f lavfi -i "$(src 320x240 25 4)" $(x264) -bf 2 -g 50 lf_no_index.ts
# colour tags: full-range BT.601 and limited-range BT.709 of the same pattern
ff -f lavfi -i "$(src 320x240 24 1)" -vf "scale=out_color_matrix=bt601:out_range=full" \
   -c:v libx264 -preset veryfast -pix_fmt yuvj420p -colorspace bt470bg -color_range pc lf_bt601_full.mp4
ff -f lavfi -i "$(src 320x240 24 1)" -vf "scale=out_color_matrix=bt709:out_range=tv" \
   -c:v libx264 -preset veryfast -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 \
   -color_range tv lf_bt709_tv.mp4

# --- thumbnails: 2 s black, 1 s flat grey, then 3 s of pattern
ff -f lavfi -i "color=black:size=320x240:rate=24:duration=2" -f lavfi -i "color=gray:size=320x240:rate=24:duration=1" \
   -f lavfi -i "$(src 320x240 24 3)" -filter_complex "[0][1][2]concat=n=3:v=1:a=0" $(x264) -bf 2 -g 48 \
   th_black_flat_pattern.mp4

# --- stitch: 11 clips with identical codec parameters (10 seams), lengths that
# are not whole AAC frames, each with its own tone; plus the odd ones out.
lens=(1.5 2.0 1.25 1.75 2.5 1.0 1.5 2.25 1.0 1.75 2.0)
for i in "${!lens[@]}"; do
  ff -f lavfi -i "$(src 320x240 24 "${lens[$i]}")" -f lavfi -i "sine=f=$((300 + 50 * i)):sample_rate=48000:duration=${lens[$i]}" \
     $(x264) -bf 2 -g 24 -c:a aac -b:a 96k "$(printf 'st_%02d.mp4' "$i")"
done
ff -f lavfi -i "$(src 320x240 24 1.5)" $(x264) -bf 2 -g 24 st_noaudio.mp4
ff -f lavfi -i "$(src 320x240 24 1.5)" -f lavfi -i "sine=f=880:sample_rate=44100:duration=1.5" \
   $(x264) -bf 2 -g 24 -c:a aac -ac 1 st_44k_mono.mp4
ff -f lavfi -i "$(src 640x360 30 1.5)" -f lavfi -i "sine=f=660:sample_rate=48000:duration=1.5" \
   $(x264) -bf 2 -g 30 -c:a aac st_640x360_30fps.mp4
# a chained clip: starts with st_00's last frame, then new pictures
ff -sseof -0.2 -i st_00.mp4 -update 1 -q:v 1 st_00_last.png
ff -loop 1 -framerate 24 -i st_00_last.png -f lavfi -i "$(src 320x240 24 1)" \
   -f lavfi -i "sine=f=500:sample_rate=48000:duration=1.0417" \
   -filter_complex "[0]trim=end_frame=1,format=yuv420p[a];[1]format=yuv420p[b];[a][b]concat=n=2:v=1:a=0" \
   $(x264) -bf 2 -g 24 -c:a aac -b:a 96k st_chained.mp4

# --- bad input
printf 'this is not a video\n' > bad_text.mp4
ff -f lavfi -i "sine=f=440:duration=2" -c:a aac bad_audio_only.m4a
head -c 20000 st_01.mp4 > bad_truncated.mp4   # moov at the end: cut off
# index first, media data cut short: opens, but its last 60 % of frames are missing
ff -i st_04.mp4 -c copy -movflags +faststart faststart.mp4
head -c 60000 faststart.mp4 > bad_truncated_faststart.mp4
rm faststart.mp4
: > bad_empty.mp4

touch "$stamp"
