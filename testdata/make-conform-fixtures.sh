#!/usr/bin/env bash
# Generates the conform corpus into DIR (default: build/testdata): files that
# fail each rule in each direction. Pictures are a blue field with a white
# square (off-centre where rotation matters), so a test can find the content
# area and the square in the conformed pixels and check nothing was stretched.
# A stamp of this script skips the work when nothing changed.
set -euo pipefail
out=${1:-build/testdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.conform-$(sha1sum "$0" | cut -c1-12)"
[ -f "$stamp" ] && exit 0
cd "$out"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
blue='#3070b0'
# img OUT W H: blue field, white square of side min(W,H)/2 in the centre.
img() {
  local o=$1 w=$2 h=$3 s x y
  s=$(( (w < h ? w : h) / 2 )); x=$(( (w - s) / 2 )); y=$(( (h - s) / 2 ))
  convert -size "${w}x${h}" "xc:$blue" -fill white -draw "rectangle $x,$y $((x + s - 1)),$((y + s - 1))" "$o"
}
# vid OUT W H FPS SECONDS [extra args]: the same picture as a clip, with a tone.
vid() {
  local o=$1 w=$2 h=$3 r=$4 t=$5 s x y; shift 5
  s=$(( (w < h ? w : h) / 2 )); x=$(( (w - s) / 2 )); y=$(( (h - s) / 2 ))
  ff -f lavfi -i "color=c=0x3070b0:s=${w}x${h}:r=${r},drawbox=x=$x:y=$y:w=$s:h=$s:color=white:t=fill" \
     -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$t" \
     -c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p -c:a aac -b:a 64k "$@" "$o"
}

# --- images -------------------------------------------------------------------
img cf_img_small_200x150.png 200 150
img cf_img_large_8000x6000.jpg 8000 6000
img cf_img_wide_3000x1000.png 3000 1000
img cf_img_tall_500x2000.png 500 2000
img cf_img_panorama_12000x1000.jpg 12000 1000
img cf_img_ok_1200x800.jpg 1200 800
img cf_img_photo_1600x1200.png 1600 1200
vips copy cf_img_photo_1600x1200.png cf_img_photo_1600x1200.heic
# alpha: half-transparent (must stay PNG) and fully opaque (alpha does not matter: JPEG)
convert cf_img_photo_1600x1200.png -alpha set -channel A -evaluate set 50% +channel cf_alpha.png
vips copy cf_alpha.png cf_img_alpha_1600x1200.heic
vips bandjoin_const cf_img_photo_1600x1200.png cf_opaque.png 255
vips copy cf_opaque.png cf_img_opaque_alpha_1600x1200.heic
rm cf_alpha.png cf_opaque.png
# 16-bit RGB TIFF; CMYK JPEG of a known colour
vips colourspace cf_img_photo_1600x1200.png cf_img_16bit_1600x1200.tif rgb16
convert -size 640x480 xc:'#3070b0' -colorspace CMYK cf_img_cmyk_640x480.jpg
# stored 1200x600 with the square in the top-left quadrant; EXIF orientation 6
convert -size 1200x600 "xc:$blue" -fill white -draw "rectangle 100,100 249,249" cf_exif_base.jpg
{ head -c 2 cf_exif_base.jpg
  printf '\xff\xe1\x00\x22Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00'
  tail -c +3 cf_exif_base.jpg; } > cf_img_exif6_1200x600.jpg
rm cf_exif_base.jpg
# random pixels at quality 100: over 30 MB while every side is fine
convert -size 4800x3200 xc: +noise Random -quality 100 cf_img_noise_4800x3200_big.jpg
# animated GIF (first frame used); a GIF claiming 0x0 with no frame; a truncated JPEG
ff -f lavfi -i "testsrc2=size=400x400:rate=5" -t 1 cf_img_anim_400x400.gif
printf 'GIF89a\x00\x00\x00\x00\x00\x00\x00;' > cf_img_zero_0x0.gif
head -c $(( $(stat -c%s cf_img_ok_1200x800.jpg) / 2 )) cf_img_ok_1200x800.jpg > cf_img_truncated.jpg

# --- video ----------------------------------------------------------------------
vid cf_vid_ok_640x640_24fps_3s.mp4 640 640 24 3
vid cf_vid_4k_60fps_3s.mp4 3840 2160 60 3
vid cf_vid_1080p_30fps_4s.mp4 1920 1080 30 4
vid cf_vid_small_320x240_30fps_3s.mp4 320 240 30 3
vid cf_vid_wide_1920x600_30fps_3s.mp4 1920 600 30 3
vid cf_vid_40s_640x640.mp4 640 640 24 40
vid cf_vid_short_1s.mp4 640 640 30 1
vid cf_vid_8s_a.mp4 640 640 24 8
cp cf_vid_8s_a.mp4 cf_vid_8s_b.mp4
cp cf_vid_8s_a.mp4 cf_vid_8s_c.mp4
vid cf_vid_12s.mp4 640 640 24 12
vid cf_vid_6s.mp4 640 640 24 6
vid cf_vid_ok_640x640_3s.mkv 640 640 24 3
vid cf_vid_opus_640x640_3s.mkv 640 640 24 3 -c:a libopus -b:a 64k
# HLG (BT.2020, 10-bit HEVC) as phones record it, made from the usual SDR
# picture; 20 fps so conform must re-encode it.
ff -f lavfi -i "color=c=0x3070b0:s=640x640:r=20,drawbox=x=160:y=160:w=320:h=320:color=white:t=fill" -t 2 \
   -vf "format=yuv420p,setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709,zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt2020:t=arib-std-b67:m=bt2020nc:r=tv,format=yuv420p10le" \
   -c:v libx265 -x265-params "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc" cf_vid_hlg_640x640_20fps.mp4
ff -f lavfi -i "testsrc2=size=640x480:rate=25" -f lavfi -i "sine=frequency=440" -t 3 -c:v mpeg4 -q:v 5 \
   -c:a libmp3lame cf_vid_mpeg4_640x480.avi
ff -f lavfi -i "sine=frequency=440" -t 3 -c:a aac cf_audio_only.m4a
# stored 1920x1080, square in the top-left; display matrix turns it 90° clockwise
ff -f lavfi -i "color=c=0x3070b0:s=1920x1080:r=30,drawbox=x=100:y=100:w=300:h=300:color=white:t=fill" \
   -t 3 -c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p cf_vid_rot90_1920x1080.mp4
perl -0777 -pi -e '
  my $at = index($_, "tkhd") - 4;
  my $matrix = $at + (ord(substr($_, $at + 8, 1)) == 1 ? 60 : 48);
  substr($_, $matrix, 36) = pack("N9", 0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000);
' cf_vid_rot90_1920x1080.mp4
# A/V sync: black with silence, then at exactly 1 s white with a tone; 120 fps
# (brought to 60) and 44.1 kHz (resampled) so both streams are rebuilt.
ff -f lavfi -i "color=c=black:s=1280x720:r=120:d=1" -f lavfi -i "color=c=white:s=1280x720:r=120:d=3" \
   -f lavfi -i "aevalsrc=if(gte(t\,1)\,0.8*sin(2*PI*1000*t)\,0):s=44100:d=4" \
   -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v]" -map "[v]" -map 2:a \
   -c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p -c:a aac cf_vid_sync_120fps.mp4
# 74 MB of raw video in mov: over the 50 MB cap
ff -f lavfi -i "testsrc2=size=640x640:rate=30" -t 3 -c:v rawvideo -pix_fmt uyvy422 cf_vid_raw_74MB.mov

# --- audio ----------------------------------------------------------------------
ff -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 1 cf_aud_1s.wav
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 1 -c:a libmp3lame cf_aud_1s.mp3
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 20 cf_aud_20s.flac
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 5 -ac 2 cf_aud_ok_5s.wav
for x in a b c; do ff -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 8 "cf_aud_8s_$x.wav"; done
ff -f lavfi -i "sine=frequency=440:sample_rate=44100" -t 20 -c:a libmp3lame cf_aud_20s.mp3
ff -f lavfi -i "sine=frequency=440:sample_rate=96000" -t 10 -ac 6 -c:a pcm_s32le cf_aud_10s_23MB.wav

touch "$stamp"
