#!/usr/bin/env bash
# Generates the frame-fidelity matrix into DIR/fidelity (default:
# build/testdata): one small clip per class of stream whose tail a naive
# "seek to the end and decode" gets wrong, made by the ffmpeg CLI. Every name
# starts with fi_ so the tests can walk the folder; fi_colour_* are the colour
# cases; fixtures that are not a matrix cell start with other prefixes.
# A stamp of this script skips re-runs.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
out=${1:-build/testdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.fidelity-$(cat "$0" "$here/avi-keyflags.py" "$here/conformance/"* | sha1sum | cut -c1-12)"
[ -f "$stamp" ] && exit 0
mkdir -p "$out/fidelity"
cd "$out/fidelity"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# Pictures with hard cuts (so encoders place intra frames mid-stream) and
# motion everywhere (so a missing reference shows).
cuts() { # size rate: 1.9 s testsrc2, 1.7 s mandelbrot, 1.4 s testsrc, 1.0 s bars
  echo "testsrc2=size=$1:rate=$2:duration=1.9[a];mandelbrot=size=$1:rate=$2,trim=duration=1.7,setpts=PTS-STARTPTS[b];
testsrc=size=$1:rate=$2:duration=1.4[c];smptehdbars=size=$1:rate=$2:duration=1.0,hue=H=t*3[d];
[a][b][c][d]concat=n=4:v=1:a=0"
}
plain() { echo "testsrc2=size=$1:rate=$2:duration=$3"; }
tone() { echo "sine=f=440:sample_rate=48000:duration=$1"; }

# --- H.264 profiles. Keyframes at 0 and 1.9 s only (IDR), scene cuts later as
# non-IDR I-frames (min-keyint keeps them from being IDR), B-pyramid, slices.
h264_cuts() { # pix_fmt out [extra x264 params]
  ff -f lavfi -i "$(cuts 320x240 20),format=$1" -f lavfi -i "$(tone 6)" -c:v libx264 -preset veryfast -bf 3 \
     -force_key_frames 1.9 -x264-params "keyint=1000:min-keyint=1000:scenecut=60:b-pyramid=normal:slices=4${3:+:$3}" \
     -c:a libmp3lame -shortest "$2"
}
h264_cuts yuv444p fi_h264_444_nonidr.mp4
h264_cuts yuv420p10le fi_h264_high10.mp4
h264_cuts yuv422p fi_h264_422.mp4
h264_cuts yuv420p fi_h264_nonidr.mkv
h264_cuts yuv444p fi_h264_444_nonidr.avi
# the same in a stream without an index: seeking is a bisection on timestamps
h264_cuts yuv420p fi_h264_nonidr.ts
# indexes that lie: every I-frame, IDR or not, claims to be a keyframe (so a
# seek lands where later frames still refer back), or every frame does
for mode in intra all; do
  cp fi_h264_444_nonidr.avi fi_h264_keyflags_$mode.avi
  python3 "$here/avi-keyflags.py" fi_h264_keyflags_$mode.avi $mode
done
# interlaced (MBAFF), top field first
ff -f lavfi -i "$(plain 320x240 25 3),tinterlace=interleave_top,fieldorder=tff" -c:v libx264 -preset veryfast \
   -bf 2 -g 25 -flags +ildct+ilme -x264-params interlaced=1:tff=1 fi_h264_mbaff.mp4
# interlaced field pictures (PAFF), which no encoder in Debian writes: a
# conformance stream of ITU-T H.264.1 (testdata/conformance), as the raw
# elementary stream it is, with no timestamps at all. (Remuxed by ffmpeg
# -c copy into MP4 each field becomes a sample of its own without composition
# offsets, a file ffmpeg itself then decodes 13 of 15 frames from: not a
# class of real file, so not a cell.)
cp "$here/conformance/FRExt2_Panasonic.avc" fi_h264_paff_es.h264
# periodic intra refresh: no keyframe after the first, recovery points only
ff -f lavfi -i "$(plain 320x240 25 4)" -c:v libx264 -preset veryfast -bf 0 -intra-refresh 1 -g 25 \
   fi_h264_intra_refresh.mp4
ff -f lavfi -i "$(plain 320x240 25 4)" -c:v libx264 -preset veryfast -bf 0 -intra-refresh 1 -g 25 \
   fi_h264_intra_refresh.ts
# open GOP: random access at non-IDR I-frames with recovery points, leading B-frames
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libx264 -preset veryfast -bf 3 \
   -x264-params open-gop=1:keyint=24:min-keyint=24:scenecut=0 fi_h264_open_gop.mp4
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libx264 -preset veryfast -bf 3 \
   -x264-params open-gop=1:keyint=24:min-keyint=24:scenecut=0 fi_h264_open_gop.ts

# --- HEVC: CRA with RASL pictures (x265's open GOP), and Main 10
x265p="log-level=none:bframes=4:keyint=24:min-keyint=24:open-gop=1:scenecut=0"
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libx265 -preset ultrafast -x265-params "$x265p" -pix_fmt yuv420p \
   -tag:v hvc1 fi_hevc_cra.mp4
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libx265 -preset ultrafast -x265-params "$x265p" -pix_fmt yuv420p fi_hevc_cra.mkv
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libx265 -preset ultrafast -x265-params "$x265p" -pix_fmt yuv420p10le \
   -tag:v hvc1 fi_hevc_main10.mp4

# --- VP9 with alt-ref (hidden) frames; AV1 from libaom
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -auto-alt-ref 1 \
   -lag-in-frames 16 -g 48 -b:v 300k fi_vp9_altref.webm
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libvpx -deadline realtime -cpu-used 8 -auto-alt-ref 1 \
   -lag-in-frames 16 -g 48 -b:v 300k fi_vp8_altref.webm
ff -f lavfi -i "$(plain 160x120 24 3)" -c:v libaom-av1 -cpu-used 8 -usage realtime -g 24 -b:v 100k fi_av1.mp4
ff -f lavfi -i "$(plain 160x120 24 3)" -c:v libaom-av1 -cpu-used 8 -usage realtime -g 24 -b:v 100k fi_av1.mkv

# --- MPEG-4 Part 2 with packed B-frames in AVI (DivX/Xvid): B-frames carry no pts
ff -f lavfi -i "$(cuts 320x240 25)" -c:v libxvid -bf 2 -g 50 fi_xvid_packed.avi
ff -f lavfi -i "$(cuts 320x240 25)" -c:v mpeg4 -bf 2 -g 50 -vtag DX50 fi_mpeg4_bframes.avi
# an index that calls every frame a keyframe, for a decoder that does not track recovery
cp fi_mpeg4_bframes.avi fi_mpeg4_keyflags_all.avi
python3 "$here/avi-keyflags.py" fi_mpeg4_keyflags_all.avi all

# --- all-intra
ff -f lavfi -i "$(plain 320x240 25 2)" -c:v mjpeg -q:v 3 -pix_fmt yuvj422p fi_mjpeg.avi
ff -f lavfi -i "$(plain 320x240 25 2)" -c:v prores_ks -profile:v 2 -pix_fmt yuv422p10le fi_prores.mov
ff -f lavfi -i "$(plain 320x240 25 2)" -c:v prores_ks -profile:v 4 -pix_fmt yuva444p10le fi_prores4444.mov

# --- containers
# fragmented mp4: no sync-sample table, flags per fragment only
ff -f lavfi -i "$(cuts 320x240 24)" -f lavfi -i "$(tone 6)" -c:v libx264 -preset veryfast -bf 3 -g 48 -c:a aac \
   -shortest -movflags frag_keyframe+empty_moov+default_base_moof fi_fragmented.mp4
# an edit list that starts inside a GOP: the frames before it are decoded but never shown
ff -f lavfi -i "$(cuts 320x240 24)" -c:v libx264 -preset veryfast -bf 3 -g 48 src_long.mp4
ff -ss 1.3 -i src_long.mp4 -c copy fi_editlist_negative.mp4
# a 1-frame video, audio longer than the video, VFR, rotation 90 and 270
ff -f lavfi -i "$(plain 320x240 24 1)" -frames:v 1 -c:v libx264 -preset veryfast fi_one_frame.mp4
ff -f lavfi -i "$(plain 320x240 24 2)" -f lavfi -i "$(tone 4)" -c:v libx264 -preset veryfast -bf 2 -c:a aac \
   fi_audio_longer.mp4
ff -f lavfi -i "$(plain 320x240 30 3)" -vf "select='lt(mod(n\,10)\,6)'" -fps_mode vfr -c:v libx264 \
   -preset veryfast -bf 2 fi_vfr.mp4
ff -f lavfi -i "$(plain 320x240 30 3)" -vf "select='lt(mod(n\,10)\,6)'" -fps_mode vfr -c:v libx264 \
   -preset veryfast -bf 2 fi_vfr.mkv
for r in 90 270; do
  ff -f lavfi -i "$(plain 320x240 30 2)" -c:v libx264 -preset veryfast -bf 2 src_rot.mp4
  ff -display_rotation "$((360 - r))" -i src_rot.mp4 -c copy fi_rot$r.mp4 2>/dev/null ||
    ff -i src_rot.mp4 -c copy -metadata:s:v:0 rotate=$r fi_rot$r.mp4
done
rm -f src_rot.mp4 src_long.mp4
# MPEG-1 in a program stream: no duration in any header
ff -f lavfi -i "$(plain 320x240 25 1)" -c:v mpeg1video -bf 2 -g 12 -f mpeg fi_mpeg1.mpg
ff -f lavfi -i "$(plain 320x240 25 2)" -c:v mpeg2video -bf 2 -g 12 -f vob fi_mpeg2.vob

# MPEG-1 as a raw elementary stream: no timestamps after the first, and the
# only duration a header offers is a guess from a bogus bitrate (24 frames)
ff -f lavfi -i "$(plain 64x48 24 1)" -c:v mpeg1video -f mpeg1video fi_mpeg1_es.m1v

# --- pictures libvips cannot read: an animated AVIF with alpha (10 frames,
# left half opaque, right half alpha 80), made by libavif's own encoder
ff -f lavfi -i "testsrc2=size=400x300:rate=10:duration=1,format=yuva444p,geq=lum='lum(X,Y)':cb='cb(X,Y)':cr='cr(X,Y)':a='if(lt(X,200),255,80)'" \
   -f yuv4mpegpipe -strict -1 still_src.y4m
avifenc --min 10 --max 20 still_src.y4m st_animated_alpha.avif >/dev/null
rm still_src.y4m

# --- a clip whose last packets are cut off (no B-frames, index first): the last
# frame is the last one whose packet arrived whole
ff -f lavfi -i "$(plain 320x240 25 2)" -c:v libx264 -preset veryfast -bf 0 -g 25 -movflags +faststart cut_full.mp4
size=$(stat -c %s cut_full.mp4)
last=$(ffprobe -v error -select_streams v -show_entries packet=size -of csv=p=0 cut_full.mp4 | tail -1)
head -c $((size - last / 2)) cut_full.mp4 > tr_last_packet_cut.mp4
rm cut_full.mp4

# --- damage the decoder notices inside the last GOP (packet 45 of 50, half
# overwritten): every picture from there on is concealed
ff -f lavfi -i "$(plain 320x240 25 2)" -c:v libx264 -preset veryfast -bf 0 -g 25 dm_src.mp4
read -r size pos < <(ffprobe -v error -select_streams v -show_entries packet=size,pos -of csv=p=0 dm_src.mp4 |
  sed -n 45p | tr ',' ' ')
python3 -c "
import sys
data = bytearray(open('dm_src.mp4', 'rb').read())
at, n = $pos + $size // 4, $size // 2
data[at:at + n] = bytes([255]) * n
open('dm_damaged_last_gop.mp4', 'wb').write(data)"
rm dm_src.mp4

# --- colour: untagged SD and HD, tagged full and limited range, 10-bit
ff -f lavfi -i "$(plain 320x240 24 1)" -c:v libx264 -preset veryfast -pix_fmt yuv420p fi_colour_untagged_sd.mp4
ff -f lavfi -i "$(plain 1280x720 24 0.25)" -c:v libx264 -preset veryfast -pix_fmt yuv420p fi_colour_untagged_hd.mp4
ff -f lavfi -i "$(plain 1280x720 24 0.25)" -vf "scale=out_color_matrix=bt601:out_range=full" -c:v libx264 \
   -preset veryfast -pix_fmt yuvj420p -colorspace bt470bg -color_range pc fi_colour_hd_bt601_full.mp4
ff -f lavfi -i "$(plain 320x240 24 1)" -vf "scale=out_color_matrix=bt709:out_range=tv" -c:v libx264 -preset veryfast \
   -pix_fmt yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv \
   fi_colour_sd_bt709_tv.mp4
ff -f lavfi -i "$(plain 320x240 24 1)" -vf "scale=out_color_matrix=bt709:out_range=tv" -c:v libx265 -preset ultrafast \
   -x265-params log-level=none -pix_fmt yuv420p10le -colorspace bt709 -color_primaries bt709 -color_trc bt709 \
   -color_range tv -tag:v hvc1 fi_colour_10bit.mp4

touch "$stamp"
